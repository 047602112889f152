package storage

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/errdefs"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// Layers unpack the same whatever their compression (gzip, zstd, plain
// tar), on overlay and native snapshots: the files are there and the diff
// ID is the tar's. After the tar archive, a layer may carry tar's record
// padding, not more than 1 MiB: past it the unpack fails as an invalid
// argument naming the layer, for every compression alike.
func TestEmbeddedUnpackEveryCompression(t *testing.T) {
	requireRoot(t)
	compressions := []struct {
		name, mediaType string
		compress        func(testing.TB, []byte) []byte
	}{
		{"gzip", ocispec.MediaTypeImageLayerGzip, fixtures.GzipBytes},
		{"zstd", ocispec.MediaTypeImageLayerZstd, fixtures.ZstdBytes},
		{"plain", ocispec.MediaTypeImageLayer, func(_ testing.TB, b []byte) []byte { return b }},
	}
	for _, snapshotter := range []string{SnapshotterOverlay, SnapshotterNative} {
		t.Run(snapshotter, func(t *testing.T) {
			s := openEmbeddedForTest(t, t.TempDir(), snapshotter)
			if s.Snapshotter() != snapshotter {
				t.Skipf("%s not usable here (effective %s)", snapshotter, s.Snapshotter())
			}
			ctx := context.Background()
			c := s.Client()
			for _, comp := range compressions {
				for _, trailing := range []int{10 << 10, MaxTrailingData + 1} {
					body := fmt.Sprintf("%s layer, %d bytes after its archive\n", comp.name, trailing)
					stream := tarWithTrailing(t, "etc/motd", body, trailing)
					name := fmt.Sprintf("docker.io/library/%s:%d", comp.name, trailing)
					ti := createTestImageOf(t, ctx, c, name, comp.mediaType, comp.compress(t, stream), digest.FromBytes(stream))
					err := client.NewImage(c, ti.image).Unpack(ctx, s.Snapshotter())
					if trailing > MaxTrailingData {
						want := "layer " + ti.layer.Digest.String() + " has more than 1048576 bytes (1 MiB) of data after the end of its tar archive"
						if !errdefs.IsInvalidArgument(err) || !strings.Contains(fmt.Sprint(err), want) {
							t.Errorf("%s with %d trailing bytes: unpack error %v, want an invalid argument saying %q", comp.name, trailing, err, want)
						}
						continue
					}
					if err != nil {
						t.Fatalf("%s: unpack: %v", comp.name, err)
					}
					if got := readSnapshotFile(t, ctx, c, s.Snapshotter(), ti.diffID.String(), "etc/motd"); got != body {
						t.Errorf("%s: etc/motd = %q, want %q", comp.name, got, body)
					}
				}
			}
		})
	}
}

// tarWithTrailing is a tar of one file followed by trailing zero bytes
// after its end-of-archive blocks.
func tarWithTrailing(t *testing.T, name, body string, trailing int) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write([]byte(body)); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	buf.Write(make([]byte, trailing))
	return buf.Bytes()
}
