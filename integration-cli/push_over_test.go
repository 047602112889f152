package integrationcli

import (
	"strings"
	"testing"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// TestPushOverAManifestList pushes an OCI image to a tag that holds a
// Docker manifest list: the push replaces the tag (the registry's answer
// to "is this tag already this manifest?" depends on what the question
// accepts, and a distribution registry answers 400 when only the pushed
// manifest's type is accepted), and pulling the tag gives the pushed image.
func TestPushOverAManifestList(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	e.pushIndex("team/over", "v1", fixtures.Index{Manifests: fixtures.Platforms("linux/amd64", "linux/arm64")})
	e.pushPull("team/oci", "v1", fixtures.Image{Format: fixtures.OCI, Layers: []fixtures.Layer{{Seed: 1300, Size: 16 << 10}}, Cmd: []string{"oci"}})
	over := e.ref("team/over", "v1")
	e.docker("tag", e.ref("team/oci", "v1"), over)
	id := strings.TrimSpace(e.docker("image", "inspect", "-f", "{{.Id}}", over))
	e.docker("push", over)
	e.clearImages()
	e.docker("pull", "-q", over)
	if got := strings.TrimSpace(e.docker("image", "inspect", "-f", "{{.Id}}", over)); got != id {
		t.Errorf("after the push %s pulls as %s, want the pushed image %s", over, got, id)
	}
}
