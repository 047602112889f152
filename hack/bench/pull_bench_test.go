package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/berth-dev/berth/testutil/berthd"
	"github.com/berth-dev/berth/testutil/dockercli"
	"github.com/berth-dev/berth/testutil/fixtures"
	"github.com/berth-dev/berth/testutil/registry"
)

// rootEnv names the directory the benchmark's data roots go in.
const rootEnv = "BERTH_BENCH_ROOT"

// dataRootArgs returns berthd's --data-root in a fresh directory under
// BERTH_BENCH_ROOT (the journaled loop mount of run.sh), removed when the
// benchmark ends; none when it is unset.
func dataRootArgs(b *testing.B) []string {
	root := os.Getenv(rootEnv)
	if root == "" {
		return nil
	}
	dir, err := os.MkdirTemp(root, "data")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	return []string{"--data-root", dir}
}

// BenchmarkPull pulls an image of several layers and removes it again,
// reporting compressed MB/s and berthd's peak resident memory.
func BenchmarkPull(b *testing.B) {
	for _, shape := range []struct{ layers, size int }{{4, 8 << 20}, {16, 2 << 20}} {
		b.Run(fmt.Sprintf("layers=%d/size=%dMiB", shape.layers, shape.size>>20), func(b *testing.B) {
			benchPull(b, shape.layers, shape.size)
		})
	}
}

func benchPull(b *testing.B, layers, size int) {
	reg := registry.Start(b)
	var args []string
	args = append(args, dataRootArgs(b)...)
	for _, a := range []string{"--max-concurrent-downloads", "6"} {
		args = append(args, a)
	}
	d := berthd.Start(b, args...)
	cli := dockercli.New(b, d.Host())
	img := fixtures.Image{}
	for i := 0; i < layers; i++ {
		img.Layers = append(img.Layers, fixtures.Layer{Seed: int64(i + 1), Size: size, NumFiles: 8})
	}
	built, err := fixtures.Push(b.Context(), reg.Host(), "bench/image", "latest", img)
	if err != nil {
		b.Fatal(err)
	}
	var total int64
	for _, l := range built.Layers {
		total += l.Size
	}
	ref := reg.Host() + "/bench/image:latest"
	b.SetBytes(total)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cli.MustRun("pull", "-q", ref)
		b.StopTimer()
		cli.MustRun("rmi", ref)
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(peakRSS(b, d.PID()))/(1<<20), "peak-RSS-MiB")
}

// peakRSS reads VmHWM (peak resident set) of pid in bytes.
func peakRSS(b *testing.B, pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// BenchmarkNoopPull re-pulls an image that is present and up to date
// (shared/bench's no-op line: a CI's `docker pull` of a cached image),
// through the docker CLI, client start to exit.
func BenchmarkNoopPull(b *testing.B) {
	reg := registry.Start(b)
	d := berthd.Start(b, dataRootArgs(b)...)
	cli := dockercli.New(b, d.Host())
	img := fixtures.Image{}
	for i := 0; i < 5; i++ {
		img.Layers = append(img.Layers, fixtures.Layer{Seed: int64(i + 1), Size: 256 << 10, NumFiles: 8})
	}
	if _, err := fixtures.Push(b.Context(), reg.Host(), "bench/noop", "latest", img); err != nil {
		b.Fatal(err)
	}
	ref := reg.Host() + "/bench/noop:latest"
	cli.MustRun("pull", "-q", ref)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cli.MustRun("pull", "-q", ref)
	}
}
