package integrationcli

import (
	"slices"
	"strings"
	"testing"
)

// TestImagesReferenceFilterCanonical: the reference filter matches the
// canonical forms of names too, as dockerd's containerd store does:
// docker.io/library/utest finds utest, docker.io/utest/docker finds
// utest/docker.
func TestImagesReferenceFilterCanonical(t *testing.T) {
	e := newImageEnv(t)
	e.pushPull("ref/src", "1", smallImage(81))
	src := e.ref("ref/src", "1")
	for _, name := range []string{"utest:latest", "utest:v2", "utest/docker:latest", "other:latest"} {
		e.docker("tag", src, name)
	}
	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{"utest", []string{"utest:latest", "utest:v2"}},
		{"utest:v2", []string{"utest:v2"}},
		{"docker.io/library/utest", []string{"utest:latest", "utest:v2"}},
		{"docker.io/library/utest:*", []string{"utest:latest", "utest:v2"}},
		{"docker.io/library/utest:v2", []string{"utest:v2"}},
		{"docker.io/utest/docker", []string{"utest/docker:latest"}},
		{"docker.io/*/docker", []string{"utest/docker:latest"}},
		{"utest/*", []string{"utest/docker:latest"}},
	} {
		out := lines(e.docker("images", "--format", "{{.Repository}}:{{.Tag}}", "-f", "reference="+tc.filter))
		slices.Sort(out)
		if !slices.Equal(out, tc.want) {
			t.Errorf("reference=%s: %q, want %q", tc.filter, strings.Join(out, " "), strings.Join(tc.want, " "))
		}
	}
}
