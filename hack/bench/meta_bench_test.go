package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/berth-dev/berth/testutil/berthd"
	"github.com/berth-dev/berth/testutil/dockercli"
)

// Settings of BenchmarkMetadata (issue 12: 10,000 images, 100 tags each
// for 100 of them).
const (
	metaImagesEnv  = "BERTH_BENCH_IMAGES"          // images to seed (default 10000)
	metaProfileEnv = "BERTH_BENCH_META_PROFILE"    // file for a CPU profile of berthd during one sub-benchmark
	metaProfileOf  = "BERTH_BENCH_META_PROFILE_OF" // which one (default list-api)
	metaTagged     = 100                           // images with metaTags names
	metaTags       = 100
	metaBatch      = 500 // images per bbolt transaction while seeding
)

// BenchmarkMetadata seeds a data root with many images directly in the
// metadata store (no pull), starts berthd on it and measures the image
// endpoints that read metadata: list (raw API, Go SDK, docker CLI),
// inspect and rmi (an image with one name, one tag of a 100-tag image,
// and a 100-tag image by ID). Each sub-benchmark reports its median in ms.
func BenchmarkMetadata(b *testing.B) {
	n := 10000
	if v := os.Getenv(metaImagesEnv); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < metaTagged+100 {
			b.Fatalf("%s=%q: want a number ≥ %d", metaImagesEnv, v, metaTagged+100)
		}
	}
	args := []string{"--debug", "--log-level", "warn"}
	args = append(args, dataRootArgs(b)...)
	d := berthd.Start(b, args...) // initialises the data root
	d.Stop()

	start := time.Now()
	plan, err := seedPlan(n, metaTagged, metaTags)
	if err != nil {
		b.Fatal(err)
	}
	built := time.Since(start)
	if err := seedRoot(context.Background(), filepath.Join(d.DataRoot(), "containerd"), "moby", plan, metaBatch); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d images (%d records): %.1f s building, %.1f s writing", n,
		n-metaTagged+metaTagged*metaTags, built.Seconds(), (time.Since(start) - built).Seconds())

	d.Restart()
	api, err := client.New(client.WithHost(d.Host()), client.WithAPIVersionNegotiation())
	if err != nil {
		b.Fatal(err)
	}
	defer api.Close()
	ctx := context.Background()
	hc := d.HTTPClient()

	t0 := time.Now()
	list, err := api.ImageList(ctx, client.ImageListOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("first list after start: %d images in %.1f ms", len(list.Items), ms(time.Since(t0)))
	if len(list.Items) != n {
		b.Fatalf("listed %d images, seeded %d", len(list.Items), n)
	}

	b.Run("list-api", func(b *testing.B) {
		timed(b, d, func(int) error { return listImagesAPI(hc) })
	})
	// After a write (a tag) the kept listing is stale: this is the cost of
	// building it.
	b.Run("list-api-after-tag", func(b *testing.B) {
		timedAfter(b, d, func(i int) error {
			_, err := api.ImageTag(ctx, client.ImageTagOptions{
				Source: plan[metaTagged].names[0], Target: fmt.Sprintf("%s/bench/retag:%d", seedSource, i)})
			return err
		}, func(int) error { return listImagesAPI(hc) })
	})
	b.Run("list-sdk", func(b *testing.B) {
		timed(b, d, func(int) error {
			res, err := api.ImageList(ctx, client.ImageListOptions{})
			if err == nil && len(res.Items) < n-metaTagged {
				err = fmt.Errorf("listed %d images", len(res.Items))
			}
			return err
		})
	})
	cli := dockercli.New(b, d.Host())
	b.Run("list-cli", func(b *testing.B) {
		timed(b, d, func(int) error {
			if r := cli.Run("images"); r.ExitCode != 0 {
				return fmt.Errorf("docker images: %s", r.Combined())
			}
			return nil
		})
	})
	inspected := 0
	b.Run("inspect", func(b *testing.B) {
		timed(b, d, func(int) error {
			inspected++
			name := plan[metaTagged+inspected].names[0]
			res, err := api.ImageInspect(ctx, name)
			if err == nil && res.ID != plan[metaTagged+inspected].built.Digest.String() {
				err = fmt.Errorf("inspect %s: ID %s", name, res.ID)
			}
			return err
		})
	})
	// Remove from the end of the plan, so inspect and list keep theirs.
	next := n
	b.Run("rmi-one-name", func(b *testing.B) {
		timed(b, d, func(int) error {
			next--
			return removed(api.ImageRemove(ctx, plan[next].names[0], client.ImageRemoveOptions{}))
		})
	})
	tag := 0
	b.Run("rmi-one-of-100-tags", func(b *testing.B) {
		timed(b, d, func(int) error {
			tag++
			return removed(api.ImageRemove(ctx, plan[0].names[tag], client.ImageRemoveOptions{}))
		})
	})
	tagged := 0
	b.Run("rmi-100-tags-by-id", func(b *testing.B) {
		timed(b, d, func(int) error {
			tagged++
			return removed(api.ImageRemove(ctx, plan[tagged].built.Digest.String(), client.ImageRemoveOptions{Force: true}))
		})
	})
	b.ReportMetric(float64(peakRSS(b, d.PID()))/(1<<20), "peak-RSS-MiB")
}

// removed checks that an ImageRemove answered without error.
func removed(res client.ImageRemoveResult, err error) error {
	if err == nil && len(res.Items) == 0 {
		return fmt.Errorf("nothing removed")
	}
	return err
}

// timed runs op b.N times, timing each, and reports the median in ms and
// berthd's CPU time per op (user + system, including what the op left
// running in the background: on a shared machine it varies less than the
// wall time); with BERTH_BENCH_META_PROFILE it takes a CPU profile of
// berthd during the sub-benchmark BERTH_BENCH_META_PROFILE_OF names.
func timed(b *testing.B, d *berthd.Daemon, op func(i int) error) {
	b.Helper()
	timedAfter(b, d, nil, op)
}

// timedAfter is timed with prep(i), untimed, before each op(i).
func timedAfter(b *testing.B, d *berthd.Daemon, prep, op func(i int) error) {
	b.Helper()
	socket := d.Socket()
	times := make([]time.Duration, 0, b.N)
	of := os.Getenv(metaProfileOf)
	if of == "" {
		of = "list-api"
	}
	if out := os.Getenv(metaProfileEnv); out != "" && strings.HasSuffix(b.Name(), "/"+of) && b.N > 1 {
		prof := make(chan error, 1)
		go func() { prof <- cpuProfile(socket, out, 10*time.Second) }()
		defer func() {
			if err := <-prof; err != nil {
				b.Error(err)
			}
		}()
	}
	// Without prep, berthd's CPU time is taken over the whole loop and
	// what the last op left running; with prep, over each op alone.
	var cpu time.Duration
	if prep == nil {
		cpu = -cpuTime(b, d.PID())
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if prep != nil {
			b.StopTimer()
			if err := prep(i); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			cpu -= cpuTime(b, d.PID())
		}
		t := time.Now()
		if err := op(i); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(t))
		if prep != nil {
			cpu += cpuTime(b, d.PID())
		}
	}
	b.StopTimer()
	if prep == nil {
		time.Sleep(500 * time.Millisecond) // what the last op left running (a debounced collection)
		cpu += cpuTime(b, d.PID())
	}
	slices.Sort(times)
	b.ReportMetric(ms(times[len(times)/2]), "median-ms")
	b.ReportMetric(ms(times[len(times)-1]), "max-ms")
	b.ReportMetric(ms(cpu)/float64(b.N), "cpu-ms/op")
	b.Logf("%s: %s ms, berthd CPU %.1f ms/op (load %s)", b.Name(), fmtTimes(times), ms(cpu)/float64(b.N), loadAvg())
}

// cpuTime is the user + system CPU time process pid has used (10 ms ticks).
func cpuTime(b *testing.B, pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command (which may hold spaces): utime and stime
	// are the 14th and 15th of the line, the 12th and 13th after ")".
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func fmtTimes(times []time.Duration) string {
	s := make([]string, len(times))
	for i, t := range times {
		s[i] = strconv.FormatFloat(ms(t), 'f', 1, 64)
	}
	return strings.Join(s, " ")
}

// loadAvg is the 1-minute load average (the machine is shared).
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(data))[0]
}

// listImagesAPI is one raw GET /images/json, body read to the end.
func listImagesAPI(hc *http.Client) error {
	resp, err := hc.Get("http://berthd/v1.47/images/json")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /images/json: %s", resp.Status)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}
