package integrationcli

import (
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/testutil/dockercli"
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

// TestFollowingPullInTerminal: a pull of an image another pull is already
// bringing follows it, and its screen ends as a pull started at that moment
// shows: the layers whose blobs had arrived "Already exists", the one still
// downloading "Pull complete", then the digest and "Downloaded newer image"
// (not a re-pull's "Image is up to date").
func TestFollowingPullInTerminal(t *testing.T) {
	e := newImageEnv(t)
	var img fixtures.Image
	for i := 0; i < 3; i++ {
		img.Layers = append(img.Layers, fixtures.Layer{Seed: 950 + int64(i), Size: 512 << 10, NumFiles: 2})
	}
	built := e.push("team/follow", "v1", img)
	ref := e.ref("team/follow", "v1")
	// The base layer stalls, so nothing is unpacked and the first pull is
	// still running when the second starts.
	stall := e.reg.StallBlob("team/follow", built.Layers[0].Digest, 128<<10)

	first := e.cli.Start("pull", ref)
	waitChan(t, "the first pull's download", stall.Reached())
	waitFor(t, "the other layers' blobs", 10*time.Second, func() bool {
		return e.hasAnyBlob(built.Layers[1].Digest) && e.hasAnyBlob(built.Layers[2].Digest)
	})
	screens := make(chan dockercli.Screen, 1)
	go func() { screens <- e.cli.Terminal(200, 50).Run("pull", ref) }()
	time.Sleep(time.Second) // the second pull resolves and joins the first
	stall.Release()
	screen := <-screens
	if res := first.Wait(); res.ExitCode != 0 {
		t.Fatalf("first pull: %s", res.Stderr)
	}
	if screen.ExitCode != 0 {
		t.Fatalf("docker pull exited %d; screen:\n%s", screen.ExitCode, screen)
	}
	want := []string{
		"v1: Pulling from team/follow",
		shortID(built.Layers[0].Digest) + ": Pull complete",
		shortID(built.Layers[1].Digest) + ": Already exists",
		shortID(built.Layers[2].Digest) + ": Already exists",
		"Digest: " + built.Digest.String(),
		"Status: Downloaded newer image for " + ref,
		ref,
	}
	if got := screen.String(); got != strings.Join(want, "\n") {
		t.Fatalf("final screen:\n%s\n\nwant:\n%s\n(rows %q)", got, strings.Join(want, "\n"), screen.Lines)
	}
}
