package gunzip

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	kgzip "github.com/klauspost/compress/gzip"
)

// gzData returns ~6 MiB of compressible pseudo-text and its gzip form.
func gzData(t *testing.T) (plain, gz []byte) {
	t.Helper()
	rng := rand.New(rand.NewSource(7))
	words := []string{"layer ", "berth ", "overlay ", "digest ", "snapshot ", "\n"}
	var b bytes.Buffer
	for b.Len() < 6<<20 {
		b.WriteString(words[rng.Intn(len(words))])
		if rng.Intn(50) == 0 {
			fmt.Fprintf(&b, "%x", rng.Int63())
		}
	}
	var z bytes.Buffer
	zw := kgzip.NewWriter(&z)
	zw.Write(b.Bytes())
	zw.Close()
	return b.Bytes(), z.Bytes()
}

func opener(data []byte, opens *int) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		*opens++
		return io.NopCloser(bytes.NewReader(data)), nil
	}
}

// needCommand returns the path of a decoder `make deps` installs.
func needCommand(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed (make deps installs it)", name)
	}
	return p
}

func gunzipAll(t *testing.T, g *Gunzip, gz []byte) ([]byte, int, error) {
	t.Helper()
	opens := 0
	r, err := g.Reader(context.Background(), opener(gz, &opens))
	if err != nil {
		return nil, opens, err
	}
	defer r.Close()
	out, err := io.ReadAll(r)
	return out, opens, err
}

func TestGunzipPrefersIgzipThenUnpigz(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"igzip", "unpigz"} {
		if err := os.Symlink(needCommand(t, name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", dir)
	t.Setenv("CONTAINERD_DISABLE_IGZIP", "")
	t.Setenv("CONTAINERD_DISABLE_PIGZ", "")
	if got := New().Decoder(); got != "igzip" {
		t.Errorf("decoder with igzip and unpigz on PATH = %q, want igzip", got)
	}
	t.Setenv("CONTAINERD_DISABLE_IGZIP", "1")
	if got := New().Decoder(); got != "unpigz" {
		t.Errorf("decoder with igzip disabled = %q, want unpigz", got)
	}
	t.Setenv("CONTAINERD_DISABLE_PIGZ", "true")
	if got := New().Decoder(); got != InProcess {
		t.Errorf("decoder with both disabled = %q, want %s", got, InProcess)
	}
	t.Setenv("CONTAINERD_DISABLE_IGZIP", "")
	t.Setenv("CONTAINERD_DISABLE_PIGZ", "")
	t.Setenv("PATH", t.TempDir())
	if got := New().Decoder(); got != InProcess {
		t.Errorf("decoder with an empty PATH = %q, want %s", got, InProcess)
	}
}

func TestGunzipEachDecoderDecodes(t *testing.T) {
	plain, gz := gzData(t)
	for _, name := range []string{"igzip", "unpigz", InProcess} {
		t.Run(name, func(t *testing.T) {
			var cmds []string
			if name != InProcess {
				cmds = []string{needCommand(t, name)}
			}
			out, opens, err := gunzipAll(t, New(WithCommands(cmds...)), gz)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, plain) {
				t.Fatalf("%s: got %d bytes, want the %d bytes compressed", name, len(out), len(plain))
			}
			if opens != 1 {
				t.Errorf("%s: source opened %d times, want 1", name, opens)
			}
		})
	}
}

func TestGunzipMissingBinaryFallsBack(t *testing.T) {
	plain, gz := gzData(t)
	missing := filepath.Join(t.TempDir(), "igzip")
	g := New(WithCommands(missing, needCommand(t, "unpigz")))
	out, opens, err := gunzipAll(t, g, gz)
	if err != nil {
		t.Fatalf("pull-side read failed although unpigz works: %v", err)
	}
	if !bytes.Equal(out, plain) {
		t.Fatalf("got %d bytes, want %d", len(out), len(plain))
	}
	if opens != 2 {
		t.Errorf("source opened %d times, want 2 (igzip's try, then unpigz)", opens)
	}
}

// failingDecoder writes a script that runs the real decoder, passes on only
// the first n bytes of its output and exits 1, as a decoder killed part-way.
func failingDecoder(t *testing.T, real string, n int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "dies-midway")
	script := fmt.Sprintf("#!/bin/sh\n%s -d -c | head -c %d\necho 'decoder died' >&2\nexit 1\n", real, n)
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestGunzipMidStreamFailureContinuesSeamlessly(t *testing.T) {
	plain, gz := gzData(t)
	igzip := needCommand(t, "igzip")
	for name, tc := range map[string]struct {
		cmds  []string
		opens int // each decoder reads the source from the start
	}{
		"then in-process": {[]string{failingDecoder(t, igzip, 1<<20+17)}, 2},
		"then unpigz":     {[]string{failingDecoder(t, igzip, 3<<20+5), needCommand(t, "unpigz")}, 2},
		"twice":           {[]string{failingDecoder(t, igzip, 2<<20), failingDecoder(t, igzip, 1<<20)}, 3},
	} {
		t.Run(name, func(t *testing.T) {
			out, opens, err := gunzipAll(t, New(WithCommands(tc.cmds...)), gz)
			if err != nil {
				t.Fatalf("read failed although a later decoder works: %v", err)
			}
			if !bytes.Equal(out, plain) {
				t.Fatalf("got %d bytes (not the original), want %d", len(out), len(plain))
			}
			if opens != tc.opens {
				t.Errorf("source opened %d times, want %d", opens, tc.opens)
			}
		})
	}
}

func TestGunzipBrokenStreamFailsWithEveryDecoder(t *testing.T) {
	_, gz := gzData(t)
	truncated := gz[:len(gz)/2]
	corrupt := bytes.Clone(gz)
	corrupt[len(corrupt)-6] ^= 0xff // CRC
	var cmds []string
	for _, n := range []string{"igzip", "unpigz"} {
		if p, err := exec.LookPath(n); err == nil {
			cmds = append(cmds, p)
		}
	}
	for name, data := range map[string][]byte{"truncated": truncated, "bad checksum": corrupt} {
		out, opens, err := gunzipAll(t, New(WithCommands(cmds...)), data)
		if err == nil {
			t.Errorf("%s: read %d bytes without an error", name, len(out))
		}
		if opens != len(cmds)+1 {
			t.Errorf("%s: source opened %d times, want every decoder (%d) to have tried", name, opens, len(cmds)+1)
		}
	}
	if _, err := New(WithCommands()).Reader(context.Background(), opener([]byte("not gzip"), new(int))); err == nil {
		t.Error("in-process decoder accepted a stream that is not gzip")
	}
}
