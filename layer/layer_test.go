package layer

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/pkg/labels"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/daemon/storage"
	"github.com/berth-dev/berth/testutil/fixtures"
)

var tarball = bytes.Repeat([]byte("not really a tar, but layer bytes "), 100)

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		name      string
		head      []byte
		want      Compression
		mediaType string
	}{
		{"gzip", fixtures.GzipBytes(t, tarball), Gzip, ocispec.MediaTypeImageLayerGzip},
		{"zstd", fixtures.ZstdBytes(t, tarball), Zstd, ocispec.MediaTypeImageLayerZstd},
		{"plain tar", tarball, Uncompressed, ocispec.MediaTypeImageLayer},
		{"empty", nil, Uncompressed, ocispec.MediaTypeImageLayer},
	} {
		got, err := Detect(tc.head)
		if err != nil || got != tc.want || got.MediaType() != tc.mediaType {
			t.Errorf("%s: Detect = %v (%s), %v", tc.name, got, got.MediaType(), err)
		}
	}
	bzip2 := []byte{'B', 'Z', 'h', '9', 0x31, 0x41, 0x59, 0x26, 0x53, 0x59}
	xz := []byte{0xfd, '7', 'z', 'X', 'Z', 0x00, 0, 0}
	for name, head := range map[string][]byte{"bzip2": bzip2, "xz": xz} {
		if _, err := Detect(head); !errdefs.IsNotImplemented(err) {
			t.Errorf("%s: Detect error %v, want not implemented", name, err)
		}
	}
}

func TestIsMediaType(t *testing.T) {
	for _, mt := range []string{ocispec.MediaTypeImageLayerGzip, ocispec.MediaTypeImageLayerZstd,
		"application/vnd.docker.image.rootfs.diff.tar.gzip", "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"} {
		if !IsMediaType(mt) {
			t.Errorf("%s is a layer type", mt)
		}
	}
	for _, mt := range []string{ocispec.MediaTypeImageConfig, "application/vnd.in-toto+json", "application/octet-stream"} {
		if IsMediaType(mt) {
			t.Errorf("%s is not a layer type", mt)
		}
	}
}

func TestChainIDsKeepsInput(t *testing.T) {
	a, b := digest.FromString("a"), digest.FromString("b")
	in := []digest.Digest{a, b}
	got := ChainIDs(in)
	if !slices.Equal(in, []digest.Digest{a, b}) {
		t.Fatal("ChainIDs modified its input")
	}
	if want := identity.ChainIDs([]digest.Digest{a, b}); !slices.Equal(got, want) {
		t.Fatalf("ChainIDs = %v, want %v", got, want)
	}
}

// TestDiffID: the diff ID is the digest of the decompressed stream, cached
// in the blob's label; a blob that does not decompress is data loss.
func TestDiffID(t *testing.T) {
	ctx := context.Background()
	st, err := storage.Open(ctx, storage.Options{Root: t.TempDir(), Snapshotter: storage.SnapshotterNative})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cs := st.Client().ContentStore()
	put := func(b []byte) ocispec.Descriptor {
		desc := ocispec.Descriptor{Digest: digest.FromBytes(b), Size: int64(len(b))}
		if err := content.WriteBlob(ctx, cs, desc.Digest.String(), bytes.NewReader(b), desc); err != nil {
			t.Fatal(err)
		}
		return desc
	}
	for name, blob := range map[string][]byte{"gzip": fixtures.GzipBytes(t, tarball), "zstd": fixtures.ZstdBytes(t, tarball), "plain": tarball} {
		desc := put(blob)
		got, err := DiffID(ctx, cs, desc)
		if err != nil || got != digest.FromBytes(tarball) {
			t.Fatalf("%s: DiffID = %s, %v", name, got, err)
		}
		info, err := cs.Info(ctx, desc.Digest)
		if err != nil || info.Labels[labels.LabelUncompressed] != got.String() {
			t.Fatalf("%s: diff ID not cached: %v %v", name, info.Labels, err)
		}
	}
	broken := fixtures.GzipBytes(t, tarball)
	broken = broken[:len(broken)/2]
	if _, err := DiffID(ctx, cs, put(broken)); !errdefs.IsDataLoss(err) {
		t.Fatalf("truncated gzip: %v, want data loss", err)
	}
}
