package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/layer"
	"github.com/berth-dev/berth/testutil/berthd"
	"github.com/berth-dev/berth/testutil/dockercli"
	"github.com/berth-dev/berth/testutil/fixtures"
	"github.com/berth-dev/berth/testutil/registry"
)

// profileEnv names a file for a CPU profile of berthd during the first
// pull of BenchmarkPullLayers (taken from --debug's /debug/pprof).
const profileEnv = "BERTH_BENCH_PROFILE"

// logEnv names a file for berthd's --debug log of BenchmarkPullLayers
// (per-layer fetch and unpack times).
const logEnv = "BERTH_BENCH_LOG"

// BenchmarkPullLayers pulls an image made of the layers in
// BERTH_BENCH_LAYERS (a usr-like image; gzip, or zstd or plain tars for an
// OCI image) and reports MB/s of compressed data, berthd's CPU seconds and
// its children's (igzip/unpigz) per pull.
func BenchmarkPullLayers(b *testing.B) {
	layers := usrLayers(b)
	// The in-memory storage copies a blob on every chunk written: minutes
	// for a 150 MB layer.
	reg := registry.Start(b, registry.WithStorageDir(b.TempDir()))
	ctx := context.Background()
	push := fixtures.NewClient(reg.Host())
	var descs []ocispec.Descriptor
	var diffIDs []digest.Digest
	var total int64
	oci := false
	for _, l := range layers {
		d, err := push.PushBlob(ctx, "bench/usr", l)
		if err != nil {
			b.Fatal(err)
		}
		c, diffID, err := layerDiffID(l)
		if err != nil {
			b.Fatal(err)
		}
		mediaType := "application/vnd.docker.image.rootfs.diff.tar.gzip"
		if c != layer.Gzip {
			// Docker schema 2 has no zstd type: an OCI image, as buildkit makes.
			mediaType, oci = c.MediaType(), true
		}
		diffIDs = append(diffIDs, diffID)
		descs = append(descs, ocispec.Descriptor{MediaType: mediaType, Digest: d, Size: int64(len(l))})
		total += int64(len(l))
	}
	cfg, _ := json.Marshal(ocispec.Image{
		Platform: ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH},
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: diffIDs},
	})
	cfgDigest, err := push.PushBlob(ctx, "bench/usr", cfg)
	if err != nil {
		b.Fatal(err)
	}
	manifestType, configType := manifestTypes(oci)
	mf, _ := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     manifestType,
		"config":        ocispec.Descriptor{MediaType: configType, Digest: cfgDigest, Size: int64(len(cfg))},
		"layers":        descs,
	})
	if _, err := push.PushManifest(ctx, "bench/usr", "latest", manifestType, mf); err != nil {
		b.Fatal(err)
	}

	args := []string{"--debug"}
	args = append(args, dataRootArgs(b)...)
	d := berthd.Start(b, args...)
	cli := dockercli.New(b, d.Host())
	ref := reg.Host() + "/bench/usr:latest"
	b.SetBytes(total)
	var cpu, childCPU time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var prof chan error
		if out := os.Getenv(profileEnv); out != "" && i == 0 {
			prof = make(chan error, 1)
			go func() { prof <- cpuProfile(d.Socket(), out, 20*time.Second) }()
			time.Sleep(200 * time.Millisecond)
		}
		u0, c0 := procCPU(b, d.PID())
		cli.MustRun("pull", "-q", ref)
		u1, c1 := procCPU(b, d.PID())
		cpu += u1 - u0
		childCPU += c1 - c0
		b.StopTimer()
		if prof != nil {
			if err := <-prof; err != nil {
				b.Error(err)
			}
		}
		cli.MustRun("rmi", ref)
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(cpu.Seconds()/float64(b.N), "berthd-cpu-s/op")
	b.ReportMetric(childCPU.Seconds()/float64(b.N), "decoder-cpu-s/op")
	b.ReportMetric(float64(peakRSS(b, d.PID()))/(1<<20), "peak-RSS-MiB")
	if out := os.Getenv(logEnv); out != "" {
		if err := os.WriteFile(out, []byte(d.Logs()), 0o644); err != nil {
			b.Error(err)
		}
	}
}

// manifestTypes are the manifest and config media types of a docker
// schema 2 image, or of an OCI one.
func manifestTypes(oci bool) (manifest, config string) {
	if oci {
		return ocispec.MediaTypeImageManifest, ocispec.MediaTypeImageConfig
	}
	return "application/vnd.docker.distribution.manifest.v2+json", "application/vnd.docker.container.image.v1+json"
}

// layerDiffID returns a layer blob's compression and the digest of its tar.
func layerDiffID(blob []byte) (layer.Compression, digest.Digest, error) {
	c, err := layer.Detect(blob)
	if err != nil {
		return 0, "", err
	}
	r, err := layer.Decompress(bytes.NewReader(blob))
	if err != nil {
		return 0, "", err
	}
	defer r.Close()
	h := digest.Canonical.Digester()
	if _, err := io.Copy(h.Hash(), r); err != nil {
		return 0, "", err
	}
	return c, h.Digest(), nil
}

// cpuProfile saves seconds of berthd's CPU profile, read over its socket.
func cpuProfile(socket, out string, d time.Duration) error {
	c := http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", socket)
	}}}
	resp, err := c.Get(fmt.Sprintf("http://berthd/debug/pprof/profile?seconds=%d", int(d.Seconds())))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("profile: %s", resp.Status)
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, resp.Body)
	return err
}

// procCPU returns pid's own CPU time (user+system) and that of its
// waited-for children, from /proc/pid/stat.
func procCPU(b *testing.B, pid int) (self, children time.Duration) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	tick := func(i int) time.Duration { // fields 14.. of stat, counted from 3
		v, _ := strconv.ParseInt(f[i-3], 10, 64)
		return time.Duration(v) * time.Second / 100
	}
	return tick(14) + tick(15), tick(16) + tick(17)
}
