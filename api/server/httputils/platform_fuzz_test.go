package httputils

import (
	"testing"

	"github.com/containerd/errdefs"
)

// FuzzDecodePlatform feeds the "platform" query parameter: any value is a
// platform with OS and architecture, nothing, or a 400.
func FuzzDecodePlatform(f *testing.F) {
	for _, s := range []string{"", "linux/amd64", "linux/arm/v7", "linux", `{"os":"linux","architecture":"arm64"}`,
		`{"os":"linux"}`, `{"variant":"v8"}`, "linux/amd64,linux/arm64", "{", "windows/amd64/10.0.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := DecodePlatform([]string{s})
		if err != nil {
			if !errdefs.IsInvalidArgument(err) {
				t.Fatalf("DecodePlatform(%q): %v is not an invalid-argument error", s, err)
			}
			return
		}
		if p != nil && (p.OS == "" || p.Architecture == "") {
			t.Fatalf("DecodePlatform(%q) = %+v without OS or architecture", s, p)
		}
	})
}
