package integrationcli

import (
	"strings"
	"testing"

	"github.com/docker/go-units"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// TestLoadScreen runs `docker load` (not quiet) in a real terminal and reads
// the final screen, which is what the graphdriver dockerd showed: one
// "Loading layer" row per layer, by the first 12 hex digits of its diff ID,
// in layer order, redrawn in place until its bar is full, then the name:
//
//	82034a3d6561: Loading layer [==================================================>]  6.294MB/6.294MB
//	…
//	Loaded image: registry/screen/load:v1
func TestLoadScreen(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	// Layers of some MiB, so each row gets several updates.
	b := e.pushPull("screen/load", "v1", fixtures.Image{Layers: []fixtures.Layer{
		{Seed: 620, Size: 6 << 20, NumFiles: 6}, {Seed: 621, Size: 3 << 20, NumFiles: 3}, {Seed: 622, Size: 256 << 10},
	}})
	ref := e.ref("screen/load", "v1")
	archive := writeFile(t, "load.tar", []byte(e.cli.MustRun("save", ref).Stdout))
	e.clearImages()

	res := e.cli.Terminal(200, 50).Run("load", "-i", archive)
	if res.ExitCode != 0 {
		t.Fatalf("load exit %d; screen:\n%s", res.ExitCode, res)
	}
	var want []string
	for _, l := range b.Layers {
		size := units.HumanSize(float64(l.Size))
		want = append(want, shortID(l.DiffID)+": Loading layer [==================================================>]  "+size+"/"+size)
	}
	want = append(want, "Loaded image: "+ref)
	if got := strings.Join(res.Lines, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("screen:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	if id := e.imageIDs()[ref]; id != b.Digest.String() {
		t.Errorf("%s after load = %s, want %s", ref, id, b.Digest)
	}
}
