package integrationcli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/testutil/berthd"
	"github.com/berth-dev/berth/testutil/dockercli"
	"github.com/berth-dev/berth/testutil/fixtures"
	"github.com/berth-dev/berth/testutil/registry"
)

// TestFaultNativeKillDuringUnpackLeavesNoDirs SIGKILLs a berthd on the
// native snapshotter while it copies a parent snapshot for the next layer
// (a "new-…" directory exists), several times: each restart removes the
// directories the kill left without a record, the pull then completes, and
// removing the image leaves no snapshot directory.
func TestFaultNativeKillDuringUnpackLeavesNoDirs(t *testing.T) {
	rounds := faultRounds(t, 2)
	reg := registry.Start(t)
	d := berthd.Start(t, "--insecure-registry", reg.Host(), "--snapshotter", "native")
	e := &imageEnv{t: t, reg: reg, d: d, cli: dockercli.New(t, d.Host())}
	e.push("team/native", "v1", fixtures.Image{Layers: []fixtures.Layer{
		{Seed: 1200, Size: 32 << 20, NumFiles: 2000}, {Seed: 1201, Size: 64 << 10}, {Seed: 1202, Size: 64 << 10},
	}})
	ref := e.ref("team/native", "v1")
	dir := filepath.Join(d.DataRoot(), "containerd", "snapshots", "native", "snapshots")
	copying := func() bool {
		entries, _ := os.ReadDir(dir)
		for _, ent := range entries {
			if strings.HasPrefix(ent.Name(), "new-") {
				return true
			}
		}
		return false
	}

	hit := 0
	var peak int64
	for round := range rounds {
		p := e.cli.Start("pull", "-q", ref)
		seen := false
		for deadline := time.Now().Add(60 * time.Second); !seen && time.Now().Before(deadline); {
			select {
			case <-p.Done():
				deadline = time.Now()
			default:
			}
			seen = copying()
			time.Sleep(time.Millisecond)
		}
		if rss, err := d.PeakRSS(); err == nil {
			peak = max(peak, rss)
		}
		d.Kill()
		p.Kill()
		if seen {
			hit++
		}
		d.Restart()
		if copying() {
			t.Errorf("round %d: a \"new-…\" directory survived the restart", round)
		}
		e.docker("pull", "-q", ref)
		e.checkWhole(strings.TrimSpace(e.docker("image", "inspect", "-f", "{{.Id}}", ref)))
		e.docker("rmi", ref)
		waitFor(t, "the native snapshots to be removed", 20*time.Second, func() bool {
			entries, err := os.ReadDir(dir)
			return err == nil && len(entries) == 0
		})
	}
	t.Logf("figures: kill during native unpack: %d rounds, %d killed while a parent snapshot was being copied, all %d restarts consistent, "+
		"0 snapshot directories after rmi, peak RSS %d MiB", rounds, hit, rounds, peak>>20)
	if hit == 0 {
		t.Fatal("no kill landed while a snapshot was being copied (the test proves nothing)")
	}
}
