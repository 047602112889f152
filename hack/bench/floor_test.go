package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/pkg/archive"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/sys/unix"

	"github.com/berth-dev/berth/layer"
	"github.com/berth-dev/berth/layer/gunzip"
)

// layersEnv lists layer files (space-separated, gzip or zstd) for the
// usr-like benchmarks: make-usr-layers.sh writes them.
const layersEnv = "BERTH_BENCH_LAYERS"

// usrLayers reads the files named in BERTH_BENCH_LAYERS.
func usrLayers(b *testing.B) [][]byte {
	b.Helper()
	paths := strings.Fields(os.Getenv(layersEnv))
	if len(paths) == 0 {
		b.Skipf("%s names no layers (hack/bench/make-usr-layers.sh makes some)", layersEnv)
	}
	var out [][]byte
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

// BenchmarkFloor measures, on this machine, what a pull of the layers in
// BERTH_BENCH_LAYERS cannot beat: gzip decoding with each decoder, or zstd
// decoding with one and two goroutines (MB/s of output), sha256 of the
// compressed blobs, and untar (containerd's
// archive.Apply) of the decompressed tars onto the data root's filesystem,
// with and without the one syncfs the durability rule asks for.
func BenchmarkFloor(b *testing.B) {
	layers := usrLayers(b)
	var tars [][]byte
	var gzSize, tarSize int64
	zstdLayers := false
	for _, l := range layers {
		out, err := decompressed(l)
		if err != nil {
			b.Fatal(err)
		}
		if c, _ := layer.Detect(l); c == layer.Zstd {
			zstdLayers = true
		}
		tars = append(tars, out)
		gzSize += int64(len(l))
		tarSize += int64(len(out))
	}
	b.Logf("%d layers: %d MB gzip, %d MB tar", len(layers), gzSize>>20, tarSize>>20)

	decoders := map[string][]string{gunzip.InProcess: nil}
	for _, name := range []string{"igzip", "unpigz"} {
		if p, err := exec.LookPath(name); err == nil {
			decoders[name] = []string{p}
		}
	}
	if zstdLayers {
		// In-process zstd (the applier's decoder), with its blocks decoded
		// on the reading goroutine or on background ones.
		decoders = nil
		for _, conc := range []int{1, 2} {
			b.Run(fmt.Sprintf("zstd-concurrency=%d", conc), func(b *testing.B) {
				b.SetBytes(tarSize)
				for i := 0; i < b.N; i++ {
					for _, l := range layers {
						zr, err := zstd.NewReader(bytes.NewReader(l), zstd.WithDecoderConcurrency(conc), zstd.IgnoreChecksum(true))
						if err != nil {
							b.Fatal(err)
						}
						_, err = io.Copy(io.Discard, zr)
						zr.Close()
						if err != nil {
							b.Fatal(err)
						}
					}
				}
			})
		}
	}
	for name, cmds := range decoders {
		b.Run("gunzip="+name, func(b *testing.B) {
			b.SetBytes(tarSize)
			for i := 0; i < b.N; i++ {
				for _, l := range layers {
					if _, err := gunzipWith(cmds, l, io.Discard); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
	b.Run("sha256", func(b *testing.B) {
		b.SetBytes(gzSize)
		for i := 0; i < b.N; i++ {
			for _, l := range layers {
				sha256.Sum256(l)
			}
		}
	})
	for _, mode := range []string{"untar", "untar+syncfs", "untar+writeback+syncfs"} {
		sync := mode != "untar"
		b.Run(mode, func(b *testing.B) {
			b.SetBytes(tarSize)
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				dir := benchDir(b)
				b.StartTimer()
				stop := func() {}
				if mode == "untar+writeback+syncfs" {
					stop = writeBack(dir)
				}
				for j, t := range tars {
					d := filepath.Join(dir, strings.Repeat("l", j+1))
					if err := os.Mkdir(d, 0o755); err != nil {
						b.Fatal(err)
					}
					if _, err := archive.Apply(context.Background(), d, bytes.NewReader(t)); err != nil {
						b.Fatal(err)
					}
				}
				stop()
				if sync {
					syncfs(b, dir)
				}
				b.StopTimer()
				syncfs(b, dir) // not timed without: write-back must not spill into the next round
				os.RemoveAll(dir)
				syncfs(b, filepath.Dir(dir))
				b.StartTimer()
			}
		})
	}
}

// decompressed is the tar of a layer blob, whatever its compression.
func decompressed(blob []byte) ([]byte, error) {
	r, err := layer.Decompress(bytes.NewReader(blob))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// gunzipWith decodes gz with the decoders cmds (nil: in-process) into w,
// or returns the output when w is nil.
func gunzipWith(cmds []string, gz []byte, w ...io.Writer) ([]byte, error) {
	r, err := gunzip.New(gunzip.WithCommands(cmds...)).Reader(context.Background(), func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(gz)), nil
	})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if len(w) > 0 {
		_, err := io.Copy(w[0], r)
		return nil, err
	}
	return io.ReadAll(r)
}

// benchDir makes a directory under BERTH_BENCH_ROOT (make bench's loop
// mount), or under the test's temporary directory.
func benchDir(b *testing.B) string {
	b.Helper()
	root := os.Getenv(rootEnv)
	if root == "" {
		root = b.TempDir()
	}
	dir, err := os.MkdirTemp(root, "floor")
	if err != nil {
		b.Fatal(err)
	}
	return dir
}

func syncfs(b *testing.B, path string) {
	b.Helper()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := unix.Syncfs(int(f.Fd())); err != nil {
		b.Fatal(err)
	}
}

// writeBack syncs the filesystem of dir over and over until stopped, so
// write-back runs beside the untar instead of after it.
func writeBack(dir string) (stop func()) {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		f, err := os.Open(dir)
		if err != nil {
			return
		}
		defer f.Close()
		for {
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
			}
			_ = unix.Syncfs(int(f.Fd()))
		}
	}()
	return func() { close(done); <-stopped }
}
