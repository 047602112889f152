package distribution

import (
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/distribution/schema1"
)

// TestDocumentType: a manifest served without a media type is known by the
// type it declares, else by its fields; anything else stays unknown.
func TestDocumentType(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[]}`, "application/vnd.docker.distribution.manifest.list.v2+json"},
		{`{"schemaVersion":2,"mediaType":"application/vnd.oci.artifact.manifest.v1+json"}`, "application/vnd.oci.artifact.manifest.v1+json"},
		{`{"schemaVersion":2,"manifests":[{"digest":"sha256:0"}]}`, ocispec.MediaTypeImageIndex},
		{`{"schemaVersion":2,"config":{},"layers":[]}`, ocispec.MediaTypeImageManifest},
		{`{"schemaVersion":1,"name":"a","tag":"b","fsLayers":[]}`, schema1.MediaTypeManifest},
		{`{"schemaVersion":2}`, ""},
		{`<html></html>`, ""},
		{`{"manifests":`, ""},
	} {
		if got := documentType([]byte(c.doc)); got != c.want {
			t.Errorf("documentType(%s) = %q, want %q", c.doc, got, c.want)
		}
	}
}
