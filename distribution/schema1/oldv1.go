package schema1

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Images pushed by docker < 1.8.3 carry v1 JSON with blank fields; dockerd
// passed it through its V1Image struct (dropping unknown keys and blank
// omitempty ones) before making the config. These types mirror the JSON
// layout of dockerd 26's image.V1Image and container.Config.

type oldV1Image struct {
	ID              string       `json:"id,omitempty"`
	Parent          string       `json:"parent,omitempty"`
	Comment         string       `json:"comment,omitempty"`
	Created         *time.Time   `json:"created"`
	Container       string       `json:"container,omitempty"`
	ContainerConfig oldV1Config  `json:"container_config,omitempty"`
	DockerVersion   string       `json:"docker_version,omitempty"`
	Author          string       `json:"author,omitempty"`
	Config          *oldV1Config `json:"config,omitempty"`
	Architecture    string       `json:"architecture,omitempty"`
	Variant         string       `json:"variant,omitempty"`
	OS              string       `json:"os,omitempty"`
	Size            int64        `json:",omitempty"`
}

type oldV1Config struct {
	Hostname        string
	Domainname      string
	User            string
	AttachStdin     bool
	AttachStdout    bool
	AttachStderr    bool
	ExposedPorts    map[string]struct{} `json:",omitempty"`
	Tty             bool
	OpenStdin       bool
	StdinOnce       bool
	Env             []string
	Cmd             strSlice
	Healthcheck     json.RawMessage `json:",omitempty"`
	ArgsEscaped     bool            `json:",omitempty"`
	Image           string
	Volumes         map[string]struct{}
	WorkingDir      string
	Entrypoint      strSlice
	NetworkDisabled bool   `json:",omitempty"`
	MacAddress      string `json:",omitempty"`
	OnBuild         []string
	Labels          map[string]string
	StopSignal      string   `json:",omitempty"`
	StopTimeout     *int     `json:",omitempty"`
	Shell           strSlice `json:",omitempty"`
}

// normalizeOldV1JSON re-encodes v1 JSON written by docker < 1.8.3 (or with
// no docker_version) through the V1Image layout; newer JSON is returned as
// is.
func normalizeOldV1JSON(v1JSON []byte) ([]byte, error) {
	var ver struct {
		DockerVersion string `json:"docker_version"`
	}
	if err := json.Unmarshal(v1JSON, &ver); err != nil {
		return nil, invalid("newest history entry of schema 1 manifest: %v", err)
	}
	if !versionLess(ver.DockerVersion, "1.8.3") {
		return v1JSON, nil
	}
	var img oldV1Image
	if err := json.Unmarshal(v1JSON, &img); err != nil {
		return nil, invalid("newest history entry of schema 1 manifest: %v", err)
	}
	out, err := json.Marshal(img)
	if err != nil {
		return nil, invalid("newest history entry of schema 1 manifest: %v", err)
	}
	return out, nil
}

// versionLess compares dotted versions numerically, as dockerd's
// pkg/version: a part that is not a number counts as 0.
func versionLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(as), len(bs)); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x < y
		}
	}
	return false
}
