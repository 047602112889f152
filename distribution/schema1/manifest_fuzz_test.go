package schema1

import (
	"testing"

	"github.com/containerd/errdefs"
)

// FuzzParse feeds documents to the schema 1 parser: it never panics,
// refuses bad input with an invalid-argument error, and what it accepts has
// a valid digest.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"schemaVersion":1,"name":"a/b","tag":"v1","architecture":"amd64",`+
		`"fsLayers":[{"blobSum":"sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4"}],`+
		`"history":[{"v1Compatibility":"{\"id\":\"1111111111111111111111111111111111111111111111111111111111111111\"}"}]}`), "")
	f.Add([]byte(`{"schemaVersion":1,"signatures":[{"header":{"jwk":{"kty":"EC"}},"signature":"x","protected":"e30"}]}`), MediaTypeSignedManifest)
	f.Add([]byte(`{"schemaVersion":2}`), MediaTypeManifest)
	f.Add([]byte(`{`), "")
	f.Add([]byte(`{"schemaVersion":1,"fsLayers":[],"history":[]}`), "application/json")
	f.Fuzz(func(t *testing.T, data []byte, mediaType string) {
		m, dgst, err := Parse(data, mediaType)
		if err != nil {
			if !errdefs.IsInvalidArgument(err) {
				t.Fatalf("Parse: %v is not an invalid-argument error", err)
			}
			return
		}
		if m == nil || dgst.Validate() != nil {
			t.Fatalf("accepted with manifest %v, digest %q", m, dgst)
		}
	})
}
