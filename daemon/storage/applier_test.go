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
	"github.com/containerd/containerd/v2/core/diff"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/typeurl/v2"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
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

// Every layer type containerd reads without a stream processor takes the
// applier's own path (and so its trailing-data bound); wrapped types, and
// any layer with processor payloads, go to containerd's applier.
func TestApplierAppliesItselfEveryPlainLayerType(t *testing.T) {
	ctx := context.Background()
	payloads := diff.ApplyConfig{ProcessorPayloads: map[string]typeurl.Any{"io.containerd.decrypt": nil}}
	for _, c := range []struct {
		mediaType string
		config    diff.ApplyConfig
		want      bool
	}{
		{ocispec.MediaTypeImageLayerGzip, diff.ApplyConfig{}, true},
		{ocispec.MediaTypeImageLayerZstd, diff.ApplyConfig{}, true},
		{ocispec.MediaTypeImageLayer, diff.ApplyConfig{}, true},
		{images.MediaTypeDockerSchema2LayerGzip, diff.ApplyConfig{}, true},
		{images.MediaTypeDockerSchema2Layer, diff.ApplyConfig{}, true},
		{images.MediaTypeDockerSchema2LayerZstd, diff.ApplyConfig{}, true},
		{images.MediaTypeDockerSchema2LayerForeignGzip, diff.ApplyConfig{}, true},
		{"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", diff.ApplyConfig{}, true},
		{ocispec.MediaTypeImageLayerGzip, payloads, false},
		{ocispec.MediaTypeImageLayer + "+encrypted", diff.ApplyConfig{}, false},
		{ocispec.MediaTypeImageLayerGzip + "+encrypted", diff.ApplyConfig{}, false},
		{images.MediaTypeDockerSchema2LayerGzip + "+encrypted", diff.ApplyConfig{}, false},
		{"application/vnd.example.layer.v1.squashfs", diff.ApplyConfig{}, false},
	} {
		if got := appliesItself(ctx, c.mediaType, c.config); got != c.want {
			t.Errorf("%s (payloads %v): applied by berth's path %v, want %v", c.mediaType, c.config.ProcessorPayloads != nil, got, c.want)
		}
	}
}
