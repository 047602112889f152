package bench

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/berth-dev/berth/testutil/fixtures"
	"github.com/berth-dev/berth/testutil/registry"
)

// distinctImages is issue 12's number of different images pulled at once.
const distinctImages = 10

// BenchmarkDistinctPulls pulls 10 different images (4 layers of
// 4 MiB of distinct random content each, 160 MiB in all) at once, with 10
// clients started together, and reports the wall time from their start to
// the last one's exit for berthd and, when their binaries are in
// /tmp/peers/bin (BERTH_BENCH_PEERS; ../shared/bench/build-peers.sh builds
// them), for containerd 2.4's ctr (transfer service) and dockerd 29 on its
// own containerd 2.4 (moby, containerd image store). Each round starts
// every daemon on an empty store under the benchmark root (make bench's
// loop fs), in alternating order, and syncs that file system first; the
// registry is the in-process one. Reported: the medians, and berthd's over
// the best peer's. BERTH_BENCH_BASELINE=<berthd binary> adds another
// berthd build (reported as baseline, not a peer).
func BenchmarkDistinctPulls(b *testing.B) {
	reg := registry.Start(b)
	var refs []string
	for i := range distinctImages {
		img := fixtures.Image{}
		for j := range 4 {
			img.Layers = append(img.Layers, fixtures.Layer{Seed: int64(7000 + 10*i + j), Size: 4 << 20, NumFiles: 8})
		}
		repo := fmt.Sprintf("bench/distinct%d", i)
		if _, err := fixtures.Push(b.Context(), reg.Host(), repo, "latest", img); err != nil {
			b.Fatal(err)
		}
		refs = append(refs, reg.Host()+"/"+repo+":latest")
	}
	type peer struct {
		name  string
		start func(*testing.B) *peerDaemon
		times []time.Duration
	}
	peers := []*peer{{name: "berthd", start: func(b *testing.B) *peerDaemon { return startBerthd(b, "berthd", reg.Host()) }}}
	if os.Getenv(baselineEnv) != "" {
		peers = append(peers, &peer{name: "baseline", start: func(b *testing.B) *peerDaemon { return startBerthd(b, "baseline", reg.Host()) }})
	}
	if havePeer("containerd", "ctr") {
		peers = append(peers, &peer{name: "ctr2", start: startCtr2})
	} else {
		b.Logf("no ctr2: containerd and ctr are not in %s", peersDir())
	}
	if havePeer("containerd", "ctr", "dockerd") {
		peers = append(peers, &peer{name: "moby", start: func(b *testing.B) *peerDaemon { return startMoby(b, reg.Host()) }})
	} else {
		b.Logf("no moby: dockerd is not in %s", peersDir())
	}
	var loads []string
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		loads = append(loads, loadAvg())
		for k := range peers {
			// Alternate the order so no peer always follows the same one.
			p := peers[(i+k)%len(peers)]
			d := p.start(b)
			syncBenchRoot()
			t, err := pullAll(d, refs)
			d.stop(b)
			if err != nil {
				b.Fatalf("%s: %v\n%s", p.name, err, d.logs.String())
			}
			p.times = append(p.times, t)
		}
	}
	b.StopTimer()
	best := time.Duration(0)
	for _, p := range peers {
		m := median(p.times)
		b.ReportMetric(ms(m), p.name+"-ms")
		b.Logf("%s: %s ms", p.name, fmtTimes(p.times))
		if p.name != "berthd" && p.name != "baseline" && (best == 0 || m < best) {
			best = m
		}
	}
	if best > 0 {
		b.ReportMetric(float64(median(peers[0].times))/float64(best), "berthd/best-peer")
	}
	b.Logf("load average before each round: %s", strings.Join(loads, " "))
}

// pullAll runs one client pull of each ref at once and returns the time
// from their start to the last exit.
func pullAll(d *peerDaemon, refs []string) (time.Duration, error) {
	cmds := make([]*bytesCmd, len(refs))
	for i, ref := range refs {
		cmds[i] = &bytesCmd{c: d.pull(ref)}
		cmds[i].c.Stdout, cmds[i].c.Stderr = &cmds[i].out, &cmds[i].out
	}
	var wg sync.WaitGroup
	t := time.Now()
	for _, c := range cmds {
		wg.Go(func() { c.err = c.c.Run() })
	}
	wg.Wait()
	took := time.Since(t)
	for i, c := range cmds {
		if c.err != nil {
			return 0, fmt.Errorf("pull %s: %v\n%s", refs[i], c.err, c.out.String())
		}
	}
	return took, nil
}

type bytesCmd struct {
	c   *exec.Cmd
	out bytes.Buffer
	err error
}

// syncBenchRoot flushes the benchmark root's file system, so one daemon's
// write-back is not billed to the next.
func syncBenchRoot() {
	root := os.Getenv(rootEnv)
	if root == "" {
		return
	}
	if f, err := os.Open(root); err == nil {
		_ = unix.Syncfs(int(f.Fd()))
		f.Close()
	}
}
