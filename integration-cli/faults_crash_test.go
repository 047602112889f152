package integrationcli

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// bigLayerImage has one layer large enough that unpacking it takes a
// noticeable time, so a SIGKILL can land in the middle of it.
func bigLayerImage(seed int64) fixtures.Image {
	return fixtures.Image{
		Layers: []fixtures.Layer{{Seed: seed, Size: 32 << 20, NumFiles: 300}},
		Cmd:    []string{"/bin/app"},
	}
}

// TestFaultKillDuringUnpackLeavesNoMounts SIGKILLs berthd while it unpacks
// a layer, several times: the temporary mounts of unpacking live under the
// data root (never in /tmp), a restart removes the ones the crash left, and
// the store stays usable: the pull then succeeds, and removing the image
// leaves no snapshot behind.
func TestFaultKillDuringUnpackLeavesNoMounts(t *testing.T) {
	rounds := faultRounds(t, 2)
	e := newImageEnv(t)
	e.push("team/big", "v1", bigLayerImage(700))
	ref := e.ref("team/big", "v1")
	dir := e.d.Dir()
	t.Cleanup(func() { unmountOutside(t, dir) })

	var hit, leftAtKill, leftAfterRestart int
	var peak int64
	var outsideRoot []string
	for round := 0; round < rounds; round++ {
		p := e.cli.Start("pull", ref)
		// A mount referring to the daemon's directory only exists while a
		// layer is being unpacked.
		deadline := time.Now().Add(60 * time.Second)
		seen := false
		for !seen && time.Now().Before(deadline) {
			select {
			case <-p.Done():
				deadline = time.Now() // the pull finished before we saw a mount
			default:
			}
			if ms := mountsOf(t, dir); len(ms) > 0 {
				seen = true
				outsideRoot = append(outsideRoot, outside(ms, e.d.DataRoot())...)
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		if rss, err := e.d.PeakRSS(); err == nil {
			peak = max(peak, rss)
		}
		e.d.Kill()
		p.Kill()
		if seen {
			hit++
		}
		left := mountsOf(t, dir)
		if len(left) > 0 {
			leftAtKill++
		}
		outsideRoot = append(outsideRoot, outside(left, e.d.DataRoot())...)

		e.d.Restart()
		if ms := mountsOf(t, dir); len(ms) > 0 {
			leftAfterRestart++
			t.Errorf("round %d: mounts left after the restart: %v", round, mountpoints(ms))
		}
		// The store is consistent: the pull completes, the image works and
		// removing it leaves no snapshot.
		e.docker("pull", "-q", ref)
		e.docker("image", "inspect", ref)
		e.docker("rmi", ref)
		snapshots := filepath.Join(e.d.DataRoot(), "containerd", "snapshots", "overlayfs", "snapshots")
		waitFor(t, "the snapshots to be collected", 20*time.Second, func() bool {
			entries, err := os.ReadDir(snapshots)
			return err == nil && len(entries) == 0
		})
	}
	t.Logf("figures: kill during unpack: %d rounds, %d killed while a layer was mounted, %d left a mount at the kill, "+
		"%d mounts outside the data root, %d mounts left after restart, all %d restarts consistent, peak RSS %d MiB",
		rounds, hit, leftAtKill, len(outsideRoot), leftAfterRestart, rounds, peak>>20)
	if len(outsideRoot) > 0 {
		t.Errorf("temporary mounts outside the data root %s: %v", e.d.DataRoot(), outsideRoot)
	}
	if hit == 0 {
		t.Fatal("no kill landed during unpacking (the test proves nothing)")
	}
}
