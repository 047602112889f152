package schema1

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// rootFS is dockerd's RootFS: diff_ids is omitted when empty.
type rootFS struct {
	Type    string          `json:"type"`
	DiffIDs []digest.Digest `json:"diff_ids,omitempty"`
}

// historyFields are the parts of a v1Compatibility JSON the history uses.
type historyFields struct {
	Created         *time.Time `json:"created"`
	Author          string     `json:"author"`
	Comment         string     `json:"comment"`
	ContainerConfig struct {
		Cmd strSlice `json:"Cmd"`
	} `json:"container_config"`
}

// imageConfig builds the image config the way dockerd ≤ 26 did for a
// schema 1 pull: the newest v1Compatibility JSON without its v1-only keys,
// plus rootfs (diffIDs, oldest first) and history (every entry, oldest
// first, throwaway ones marked empty_layer). Top-level keys come out
// sorted and compact, as dockerd's json.Marshal of a map. One addition:
// when the v1 JSON lacks "architecture" or "os", they are filled in from
// Manifest.Platform, because containerd matches platforms on the config.
func imageConfig(m *Manifest, diffIDs []digest.Digest) ([]byte, error) {
	history := make([]ocispec.History, 0, len(m.layers))
	for _, l := range m.layers {
		var f historyFields
		if err := json.Unmarshal(l.V1Compatibility, &f); err != nil {
			return nil, invalid("history entry %s of schema 1 manifest: %v", l.V1ID, err)
		}
		history = append(history, ocispec.History{
			Created:    f.Created,
			CreatedBy:  strings.Join(f.ContainerConfig.Cmd, " "),
			Author:     f.Author,
			Comment:    f.Comment,
			EmptyLayer: l.Throwaway,
		})
	}

	newest := m.layers[len(m.layers)-1].V1Compatibility
	newest, err := normalizeOldV1JSON(newest)
	if err != nil {
		return nil, err
	}
	var c map[string]json.RawMessage
	if err := json.Unmarshal(newest, &c); err != nil {
		return nil, invalid("newest history entry of schema 1 manifest is not a JSON object: %v", err)
	}
	// v1-only keys dockerd removed (MakeConfigFromV1Config).
	for _, k := range []string{"id", "parent", "Size", "parent_id", "layer_id", "throwaway"} {
		delete(c, k)
	}
	if err := fillPlatform(c, m.Platform()); err != nil {
		return nil, err
	}
	if c["rootfs"], err = json.Marshal(rootFS{Type: "layers", DiffIDs: diffIDs}); err != nil {
		return nil, err
	}
	if c["history"], err = json.Marshal(history); err != nil {
		return nil, err
	}
	out, err := json.Marshal(c)
	if err != nil {
		return nil, invalid("schema 1 image config: %v", err)
	}
	return out, nil
}

// fillPlatform sets "architecture" and "os" from p when missing or empty.
func fillPlatform(c map[string]json.RawMessage, p ocispec.Platform) error {
	for _, kv := range [][2]string{{"architecture", p.Architecture}, {"os", p.OS}} {
		var cur string
		if raw, ok := c[kv[0]]; ok {
			if err := json.Unmarshal(raw, &cur); err != nil {
				return invalid("schema 1 image config: %s: %v", kv[0], err)
			}
		}
		if cur == "" {
			b, err := json.Marshal(kv[1])
			if err != nil {
				return err
			}
			c[kv[0]] = b
		}
	}
	return nil
}

// strSlice is a JSON string or array of strings (Cmd, Entrypoint).
type strSlice []string

func (s *strSlice) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*s = nil
		return nil
	}
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = strSlice{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or an array of strings: %w", err)
	}
	*s = many
	return nil
}
