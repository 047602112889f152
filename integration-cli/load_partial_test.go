package integrationcli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// TestLoadPlatformSavedWithoutItsContent loads what `docker save` writes
// for a multi-platform image whose second platform was not all present
// (its manifest had arrived, its layer not): containerd's exporter, as
// dockerd's, writes that platform's manifest and none of its blobs. The
// load succeeds, that platform counts as absent, and the image is whole.
func TestLoadPlatformSavedWithoutItsContent(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	idx := e.pushIndex("team/partial", "v1", fixtures.Index{Manifests: fixtures.Platforms("linux/amd64", "linux/arm64")})
	ref := e.ref("team/partial", "v1")
	e.docker("pull", "-q", ref)
	file := filepath.Join(t.TempDir(), "save.tar")
	e.docker("save", "-o", file, ref)
	arm := idx.Entries[1].Image
	entries := append(readTar(t, readFileT(t, file)), tarEntry{Name: blobPath(arm.Digest), Data: arm.Manifest})
	archive := writeFile(t, "partial.tar", writeTar(t, entries))
	e.clearImages()

	out := e.docker("load", "-i", archive)
	if !strings.Contains(out, "Loaded image: "+ref) {
		t.Errorf("load said %q, want it to load %s", out, ref)
	}
	e.checkWhole(strings.TrimSpace(e.docker("image", "inspect", "-f", "{{.Id}}", ref)))
	if msg := e.dockerFail("image", "save", "--platform", "linux/arm64", "-o", filepath.Join(t.TempDir(), "arm.tar"), ref); !strings.Contains(msg, "linux/arm64") {
		t.Errorf("saving the platform that came without content: %q, want it named as missing", msg)
	}
}
