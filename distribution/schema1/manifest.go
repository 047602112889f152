package schema1

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/image"
)

// Schema 1 media types.
const (
	// MediaTypeSignedManifest is a libtrust-signed ("pretty JWS") manifest.
	MediaTypeSignedManifest = "application/vnd.docker.distribution.manifest.v1+prettyjws"
	// MediaTypeManifest is an unsigned schema 1 manifest.
	MediaTypeManifest = "application/vnd.docker.distribution.manifest.v1+json"
)

// MaxManifestSize bounds the manifests FetchManifest reads: the image
// model's limit (4 MiB).
const MaxManifestSize = image.MaxManifestSize

// IsSchema1 reports whether mediaType is a schema 1 manifest media type.
func IsSchema1(mediaType string) bool {
	return mediaType == MediaTypeSignedManifest || mediaType == MediaTypeManifest
}

// FSLayer is an entry of fsLayers: a layer blob digest.
type FSLayer struct {
	BlobSum digest.Digest `json:"blobSum"`
}

// History is an entry of history: the v1 image JSON of a layer.
type History struct {
	V1Compatibility string `json:"v1Compatibility"`
}

// Manifest is a parsed, verified and validated schema 1 manifest. FSLayers
// and History are as in the document: newest first, index-aligned.
type Manifest struct {
	SchemaVersion int       `json:"schemaVersion"`
	Name          string    `json:"name"`
	Tag           string    `json:"tag"`
	Architecture  string    `json:"architecture"`
	FSLayers      []FSLayer `json:"fsLayers"`
	History       []History `json:"history"`

	payload []byte
	digest  digest.Digest
	signed  bool
	// layers are the entries after dockerd's clean-up (consecutive
	// repeated v1 IDs removed), oldest first.
	layers []Layer
}

// Layer is one history entry of the image, oldest first.
type Layer struct {
	// Digest is the blob digest (fsLayers[].blobSum).
	Digest digest.Digest
	// Throwaway entries are metadata only: their blob is not fetched and
	// not part of the root filesystem (history empty_layer).
	Throwaway bool
	// V1ID is the legacy v1 image ID of the entry.
	V1ID string
	// V1Compatibility is the entry's raw v1 image JSON.
	V1Compatibility []byte
}

// Digest is the manifest digest registries and dockerd use: the sha256 of
// the payload without signatures (of the whole document when unsigned).
func (m *Manifest) Digest() digest.Digest { return m.digest }

// Payload is the manifest without its signatures.
func (m *Manifest) Payload() []byte { return m.payload }

// Signed reports whether the document carried (verified) signatures.
func (m *Manifest) Signed() bool { return m.signed }

// Layers returns the history entries oldest first, after removing the
// consecutive duplicates dockerd removed. The layers of the root
// filesystem are the non-throwaway ones, in this order.
func (m *Manifest) Layers() []Layer { return append([]Layer(nil), m.layers...) }

// Platform is the image's platform as the converted config states it: os,
// architecture and variant of the newest history entry; a missing
// architecture is the manifest's (else amd64), a missing os is linux.
func (m *Manifest) Platform() ocispec.Platform {
	var p ocispec.Platform
	if len(m.layers) > 0 {
		_ = json.Unmarshal(m.layers[len(m.layers)-1].V1Compatibility, &p) // validated by Parse
	}
	if p.Architecture == "" {
		p.Architecture = m.Architecture
	}
	if p.Architecture == "" {
		p.Architecture = "amd64"
	}
	if p.OS == "" {
		p.OS = "linux"
	}
	return ocispec.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}
}

// Parse parses a schema 1 manifest of media type mediaType (one of the
// schema 1 types; "" means detect from the content). When the document
// carries signatures, all of them must verify (JWK keys EC P-256/384/521
// or RSA, or an x5c certificate; the chain is not checked, as libtrust);
// a document without "signatures" is taken as unsigned, whatever its media
// type, and its digest covers the whole document. The manifest is then
// validated as dockerd did (schema version, name, fsLayers/history
// lengths, digests, v1 JSON, v1 ID chain; consecutive repeated entries are
// dropped). It returns the manifest and its digest (see Manifest.Digest).
// Malformed or badly signed documents give errors wrapping
// errdefs.ErrInvalidArgument.
func Parse(data []byte, mediaType string) (*Manifest, digest.Digest, error) {
	if mediaType != "" && !IsSchema1(mediaType) {
		return nil, "", invalid("media type %q is not a schema 1 manifest", mediaType)
	}
	var doc struct {
		Signatures json.RawMessage `json:"signatures"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, "", invalid("invalid schema 1 manifest: %v", err)
	}
	m := &Manifest{payload: data}
	if len(doc.Signatures) > 0 && !bytes.Equal(doc.Signatures, []byte("null")) {
		var sigs []jwsSignature
		if err := json.Unmarshal(doc.Signatures, &sigs); err != nil {
			return nil, "", invalid("invalid schema 1 manifest signatures: %v", err)
		}
		payload, err := verifiedPayload(data, sigs)
		if err != nil {
			return nil, "", invalid("schema 1 manifest signature verification failed: %v", err)
		}
		m.payload, m.signed = payload, true
	}
	if err := json.Unmarshal(m.payload, m); err != nil {
		return nil, "", invalid("invalid schema 1 manifest payload: %v", err)
	}
	m.digest = digest.FromBytes(m.payload)
	if err := m.validate(); err != nil {
		return nil, "", err
	}
	return m, m.digest, nil
}

// v1Entry is what the converter reads from a v1Compatibility JSON.
type v1Entry struct {
	ID        string `json:"id"`
	Parent    string `json:"parent"`
	Throwaway bool   `json:"throwaway"`
}

// isV1ID reports whether id is 64 lowercase hex digits.
func isV1ID(id string) bool {
	if len(id) != 64 {
		return false
	}
	for _, c := range id {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// validate checks the manifest like dockerd did (verifySchema1Manifest and
// fixManifestLayers) and computes m.layers.
func (m *Manifest) validate() error {
	if m.SchemaVersion != 1 {
		return invalid("unsupported schema version %d for a schema 1 manifest", m.SchemaVersion)
	}
	if m.Name == "" {
		return invalid("schema 1 manifest has no name")
	}
	if len(m.FSLayers) != len(m.History) {
		return invalid("length of history (%d) not equal to number of layers (%d) in schema 1 manifest", len(m.History), len(m.FSLayers))
	}
	if len(m.FSLayers) == 0 {
		return invalid("no FSLayers in schema 1 manifest")
	}
	entries := make([]v1Entry, len(m.History))
	for i, h := range m.History {
		if err := m.FSLayers[i].BlobSum.Validate(); err != nil {
			return invalid("invalid layer digest %q in schema 1 manifest: %v", m.FSLayers[i].BlobSum, err)
		}
		if !json.Valid([]byte(h.V1Compatibility)) {
			return invalid("history entry %d of schema 1 manifest is not valid JSON", i)
		}
		if err := json.Unmarshal([]byte(h.V1Compatibility), &entries[i]); err != nil {
			return invalid("history entry %d of schema 1 manifest: %v", i, err)
		}
		if !isV1ID(entries[i].ID) {
			return invalid("history entry %d of schema 1 manifest: image ID %q is invalid", i, entries[i].ID)
		}
	}
	if entries[len(entries)-1].Parent != "" {
		return invalid("invalid parent ID in the base layer of the schema 1 manifest")
	}
	// An ID may repeat only in consecutive entries (dockerd drops the
	// repeats); the parent chain must link every entry to the next.
	seen := map[string]bool{}
	for i, e := range entries {
		if seen[e.ID] && (i == 0 || entries[i-1].ID != e.ID) {
			return invalid("ID %s appears multiple times in schema 1 manifest", e.ID)
		}
		seen[e.ID] = true
	}
	keep := make([]bool, len(entries))
	keep[len(entries)-1] = true
	for i := len(entries) - 2; i >= 0; i-- {
		switch {
		case entries[i].ID == entries[i+1].ID:
			// repeated entry, dropped
		case entries[i].Parent != entries[i+1].ID:
			return invalid("invalid parent ID in schema 1 manifest: expected %v, got %v", entries[i+1].ID, entries[i].Parent)
		default:
			keep[i] = true
		}
	}
	m.layers = m.layers[:0]
	for i := len(entries) - 1; i >= 0; i-- {
		if !keep[i] {
			continue
		}
		m.layers = append(m.layers, Layer{
			Digest:          m.FSLayers[i].BlobSum,
			Throwaway:       entries[i].Throwaway,
			V1ID:            entries[i].ID,
			V1Compatibility: []byte(m.History[i].V1Compatibility),
		})
	}
	return nil
}

// invalid is an errdefs.ErrInvalidArgument with a formatted message.
func invalid(format string, args ...any) error {
	return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(format, args...))
}
