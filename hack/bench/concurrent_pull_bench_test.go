package bench

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/testutil/berthd"
	"github.com/berth-dev/berth/testutil/fixtures"
	"github.com/berth-dev/berth/testutil/registry"
)

// concurrentPulls is issue 12's number of simultaneous pulls of one image.
const concurrentPulls = 20

// BenchmarkConcurrentPull times one pull of a 4 × 8 MiB image, then 20
// pulls of it at once (through the API, on a fresh store each), and reports
// the ratio of the two and the registry's blob bytes per image size during
// the concurrent pulls (1.0: each blob fetched once). Figures only: the
// behaviour is tested by integration/pull_concurrent_test.go.
func BenchmarkConcurrentPull(b *testing.B) {
	reg := registry.Start(b)
	img := fixtures.Image{}
	for i := range 4 {
		img.Layers = append(img.Layers, fixtures.Layer{Seed: int64(500 + i), Size: 8 << 20, NumFiles: 16})
	}
	built, err := fixtures.Push(b.Context(), reg.Host(), "bench/conc", "latest", img)
	if err != nil {
		b.Fatal(err)
	}
	size := int64(len(built.Manifest) + len(built.Config))
	for _, l := range built.Layers {
		size += l.Size
	}
	var args []string
	args = append(args, dataRootArgs(b)...)
	d := berthd.Start(b, append(args, "--max-concurrent-downloads", "6")...)
	hc := d.HTTPClient()
	pull := func() error {
		resp, err := hc.Post("http://berthd/v1.47/images/create?fromImage="+reg.Host()+"/bench/conc&tag=latest", "", nil)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var sb strings.Builder
		buf := make([]byte, 32<<10)
		for {
			n, err := resp.Body.Read(buf)
			sb.Write(buf[:n])
			if err != nil {
				break
			}
		}
		if resp.StatusCode != http.StatusOK || strings.Contains(sb.String(), `"error"`) {
			return fmt.Errorf("pull: %s %s", resp.Status, sb.String())
		}
		return nil
	}
	rmi := func() {
		req, _ := http.NewRequest(http.MethodDelete, "http://berthd/v1.47/images/"+reg.Host()+"/bench/conc:latest", nil)
		if resp, err := hc.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	blobBytes := func() int64 {
		var n int64
		for _, r := range reg.Requests() {
			if r.Method == http.MethodGet && strings.Contains(r.Path, "/blobs/") {
				n += r.Bytes
			}
		}
		return n
	}
	var one, many []time.Duration
	var ratioBytes float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t := time.Now()
		if err := pull(); err != nil {
			b.Fatal(err)
		}
		one = append(one, time.Since(t))
		rmi()
		reg.ResetRequests()
		var wg sync.WaitGroup
		errs := make(chan error, concurrentPulls)
		t = time.Now()
		for range concurrentPulls {
			wg.Add(1)
			go func() { defer wg.Done(); errs <- pull() }()
		}
		wg.Wait()
		many = append(many, time.Since(t))
		close(errs)
		for err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
		ratioBytes += float64(blobBytes()) / float64(size)
		rmi()
	}
	b.StopTimer()
	m1, m20 := median(one), median(many)
	b.ReportMetric(ms(m1), "one-pull-ms")
	b.ReportMetric(ms(m20), "20-pulls-ms")
	b.ReportMetric(float64(m20)/float64(m1), "20/1-ratio")
	b.ReportMetric(ratioBytes/float64(b.N), "registry-bytes/image")
	b.Logf("one pull %s ms; 20 pulls %s ms; image %d bytes (load %s)", fmtTimes(one), fmtTimes(many), size, loadAvg())
}

func median(ts []time.Duration) time.Duration {
	s := slices.Clone(ts)
	slices.Sort(s)
	return s[len(s)/2]
}
