package integrationcli

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/testutil/dockercli"
	"github.com/berth-dev/berth/testutil/fixtures"
)

// removeLayer is a layer with many files, so removing its snapshot takes a
// while and a kill can land in it.
func removeLayer(seed int64, size, files int) fixtures.Layer {
	return fixtures.Layer{Seed: seed, Size: size, NumFiles: files}
}

// removeOp is one of the removals the loop kills berthd in.
type removeOp struct {
	name string
	args func(present []string) []string
}

// removeOps are `docker rmi` of the names still present and `docker image
// prune -a`.
func removeOps() []removeOp {
	return []removeOp{
		{"rmi", func(present []string) []string { return append([]string{"rmi"}, present...) }},
		{"prune -a", func([]string) []string { return []string{"image", "prune", "-a", "-f"} }},
	}
}

// TestFaultKillDuringRemove SIGKILLs berthd at a random point of `docker
// rmi` and of `docker image prune -a` (every other round also while a pull
// of an image sharing their base layer runs) and restarts it on the same
// data root, several times. After each restart: every listed image is whole
// (inspect, save, every blob of its tree, skopeo reads it), each name being
// removed is whole or gone, rerunning the removal (and the pull) completes,
// and once everything is removed no blob, snapshot, download or mount is
// left.
func TestFaultKillDuringRemove(t *testing.T) {
	rounds := faultRounds(t, 4)
	e := newImageEnv(t)
	dir := e.d.Dir()
	t.Cleanup(func() { unmountOutside(t, dir) })

	base := removeLayer(900, 4<<20, 1500)
	mid := removeLayer(901, 1<<20, 300)
	e.push("rm/a", "v1", fixtures.Image{Layers: []fixtures.Layer{base, mid, removeLayer(902, 256<<10, 50)}, Cmd: []string{"a"}})
	e.push("rm/b", "v1", fixtures.Image{Layers: []fixtures.Layer{base, mid, removeLayer(903, 256<<10, 50)}, Cmd: []string{"b"}})
	e.push("rm/c", "v1", fixtures.Image{Layers: []fixtures.Layer{base, removeLayer(904, 2<<20, 800)}, Cmd: []string{"c"}})
	a, b, c := e.ref("rm/a", "v1"), e.ref("rm/b", "v1"), e.ref("rm/c", "v1")
	alias := e.ref("rm/a", "alias")
	targets := []string{a, alias, b}
	setup := func() {
		e.docker("pull", "-q", a)
		e.docker("pull", "-q", b)
		e.docker("tag", a, alias)
	}

	ops := removeOps()
	// How long each removal takes when nothing interrupts it bounds the
	// random kill delay.
	window := map[string]time.Duration{}
	for _, op := range ops {
		setup()
		start := time.Now()
		e.docker(op.args(targets)...)
		window[op.name] = time.Since(start)
		if l := e.waitEmpty(); !l.zero() {
			t.Fatalf("%s left %+v", op.name, l)
		}
	}
	start := time.Now()
	e.docker("pull", "-q", c)
	window["pull"] = time.Since(start)
	e.docker("rmi", c)

	var survived, midOp, partial, blobsChecked int
	var total leftovers
	var peak int64
	counts := map[string]int{}
	for round := 0; round < rounds; round++ {
		op := ops[round%len(ops)]
		withPull := round/len(ops)%2 == 1
		label := op.name
		if withPull {
			label += " + pull"
		}
		counts[label]++
		setup()

		limit := window[op.name]
		var procs []*dockercli.Process
		procs = append(procs, e.cli.Start(op.args(targets)...))
		if withPull {
			procs = append(procs, e.cli.Start("pull", "-q", c))
			limit = max(limit, window["pull"])
		}
		time.Sleep(rand.N(limit))
		running := false
		for _, p := range procs {
			select {
			case <-p.Done():
			default:
				running = true
			}
		}
		if rss, err := e.d.PeakRSS(); err == nil {
			peak = max(peak, rss)
		}
		e.d.Kill()
		for _, p := range procs {
			p.Kill()
		}
		if running {
			midOp++
		}

		e.d.Restart()
		if ms := mountsOf(t, dir); len(ms) > 0 {
			t.Errorf("round %d (%s): mounts after the restart: %v", round, label, mountpoints(ms))
		}
		for _, id := range e.listedIDs() {
			blobsChecked += e.checkWhole(id)
		}
		var left []string
		for _, name := range targets {
			if e.present(name) {
				left = append(left, name)
			}
		}
		if len(left) > 0 && len(left) < len(targets) {
			partial++
		}
		// Rerunning the removal completes, and so does the pull.
		if len(left) > 0 || op.name != "rmi" {
			e.docker(op.args(left)...)
		}
		for _, name := range targets {
			if e.present(name) {
				t.Errorf("round %d (%s): %s still present after rerunning the removal", round, label, name)
			}
		}
		if withPull {
			e.docker("pull", "-q", c)
			blobsChecked += e.checkWhole(strings.TrimSpace(e.docker("image", "inspect", "-f", "{{.Id}}", c)))
		}
		e.clearImages()
		l := e.waitEmpty()
		total.blobs += l.blobs
		total.snapshots += l.snapshots
		total.ingests += l.ingests
		total.mounts += l.mounts
		if !l.zero() {
			t.Errorf("round %d (%s): with no image left the data root still holds %+v", round, label, l)
			continue
		}
		if !t.Failed() {
			survived++
		}
	}
	var kinds []string
	for k, n := range counts {
		kinds = append(kinds, fmt.Sprintf("%d %s", n, k))
	}
	slices.Sort(kinds)
	t.Logf("figures: kill during rmi/prune -a: %d tried -> %d survived (%s; %d killed mid-operation, %d left some names), "+
		"%d blobs checked whole, leftovers after removing everything: %d blobs, %d snapshots, %d downloads, %d mounts, peak RSS %d MiB",
		rounds, survived, strings.Join(kinds, ", "), midOp, partial, blobsChecked,
		total.blobs, total.snapshots, total.ingests, total.mounts, peak>>20)
	if midOp == 0 {
		t.Fatal("no kill landed while a removal ran (the test proves nothing)")
	}
}
