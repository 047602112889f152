package storage

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containerd/containerd/v2/client"
)

// A gzip decoder that dies part-way through a layer must not fail the
// unpack: the applier carries on in-process and the snapshot holds exactly
// the layer's files. The decoder is found on PATH, as berthd finds igzip.
func TestEmbeddedUnpackSurvivesDecoderDyingMidLayer(t *testing.T) {
	requireRoot(t)
	igzip, err := exec.LookPath("igzip")
	if err != nil {
		t.Skip("igzip not installed (make deps installs it)")
	}
	bin := t.TempDir()
	ran := filepath.Join(t.TempDir(), "ran")
	script := fmt.Sprintf("#!/bin/sh\n/usr/bin/touch %s\n%s -d -c | /usr/bin/head -c 300000\nexit 1\n", ran, igzip)
	if err := os.WriteFile(filepath.Join(bin, "igzip"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin) // no unpigz: the fallback is the in-process decoder
	t.Setenv("CONTAINERD_DISABLE_IGZIP", "")

	for _, snapshotter := range []string{SnapshotterOverlay, SnapshotterNative} {
		t.Run(snapshotter, func(t *testing.T) {
			s := openEmbeddedForTest(t, t.TempDir(), snapshotter)
			if s.Snapshotter() != snapshotter {
				t.Skipf("%s not usable here (effective %s)", snapshotter, s.Snapshotter())
			}
			os.Remove(ran)
			ctx := context.Background()
			c := s.Client()
			big := strings.Repeat("berth layer bytes, not all of them from igzip\n", 40000) // ~1.8 MB
			ti := createTestImage(t, ctx, c, "docker.io/library/decoder:latest", map[string]string{
				"usr/share/big.txt": big,
				"etc/motd":          "after the cut\n",
			})
			if err := client.NewImage(c, ti.image).Unpack(ctx, s.Snapshotter()); err != nil {
				t.Fatalf("unpack with a decoder that dies mid-layer: %v", err)
			}
			if _, err := os.Stat(ran); err != nil {
				t.Fatalf("the igzip on PATH was not used: %v", err)
			}
			chainID := ti.diffID.String()
			if got := readSnapshotFile(t, ctx, c, s.Snapshotter(), chainID, "usr/share/big.txt"); got != big {
				t.Errorf("usr/share/big.txt: %d bytes, want %d", len(got), len(big))
			}
			if got := readSnapshotFile(t, ctx, c, s.Snapshotter(), chainID, "etc/motd"); got != "after the cut\n" {
				t.Errorf("etc/motd = %q", got)
			}
		})
	}
}
