package integrationcli

import (
	"strings"
	"testing"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// TestPullBesideRmiKeepsSharedLayer: `docker pull c` while `docker rmi a`
// removes the only other image with c's base layer. The pull does not
// fetch that layer (its snapshot is there already) but c still needs the
// blob: once the pull ends, c is whole (docker save has every blob, skopeo
// reads it) and `docker push` of it works.
func TestPullBesideRmiKeepsSharedLayer(t *testing.T) {
	e := newImageEnv(t)
	base := fixtures.Layer{Seed: 950, Size: 1 << 20, NumFiles: 40}
	e.push("share/a", "v1", fixtures.Image{Layers: []fixtures.Layer{base, {Seed: 951, Size: 64 << 10}}, Cmd: []string{"a"}})
	c := e.push("share/c", "v1", fixtures.Image{Layers: []fixtures.Layer{base, {Seed: 952, Size: 256 << 10}}, Cmd: []string{"c"}})
	e.docker("pull", "-q", e.ref("share/a", "v1"))

	// c's own layer stalls mid-download, so the removal runs while the
	// pull is under way.
	stall := e.reg.StallBlob("share/c", c.Layers[1].Digest, 1<<10)
	p := e.cli.Start("pull", e.ref("share/c", "v1"))
	waitChan(t, "c's layer download", stall.Reached())
	e.docker("rmi", e.ref("share/a", "v1"))
	stall.Release()
	if res := p.Wait(); res.ExitCode != 0 {
		t.Fatalf("docker pull beside the removal: exit %d\n%s", res.ExitCode, res.Stderr)
	}

	id := strings.TrimSpace(e.docker("image", "inspect", "-f", "{{.Id}}", e.ref("share/c", "v1")))
	e.checkWhole(id)
	pushed := e.ref("share/pushed", "v1")
	e.docker("tag", e.ref("share/c", "v1"), pushed)
	e.docker("push", "-q", pushed)
}
