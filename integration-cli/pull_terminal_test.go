package integrationcli

import (
	"strings"
	"testing"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// TestPullInTerminal pulls a five-layer image in a real 200×50 terminal, as
// a person types `docker pull`: the CLI must update each layer's line in
// place, so the final screen is the "Pulling from" line, exactly one
// "<id>: Pull complete" line per layer, and the Digest and Status lines.
func TestPullInTerminal(t *testing.T) {
	e := newImageEnv(t)
	var img fixtures.Image
	for i := 0; i < 5; i++ {
		img.Layers = append(img.Layers, fixtures.Layer{Seed: 900 + int64(i), Size: (256 + 128*i) << 10, NumFiles: 3})
	}
	built := e.push("team/five", "v1", img)
	ref := e.ref("team/five", "v1")

	screen := e.cli.Terminal(200, 50).Run("pull", ref)
	if screen.ExitCode != 0 {
		t.Fatalf("docker pull exited %d; screen:\n%s", screen.ExitCode, screen)
	}
	want := []string{"v1: Pulling from team/five"}
	for _, l := range built.Layers {
		want = append(want, shortID(l.Digest)+": Pull complete")
	}
	want = append(want,
		"Digest: "+built.Digest.String(),
		"Status: Downloaded newer image for "+ref,
		ref,
	)
	if got := screen.String(); got != strings.Join(want, "\n") {
		t.Fatalf("final screen:\n%s\n\nwant:\n%s\n(rows %q)", got, strings.Join(want, "\n"), screen.Lines)
	}
}
