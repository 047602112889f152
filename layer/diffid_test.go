package layer_test

// An external test package: the content store comes from daemon/storage,
// which imports layer.

import (
	"bytes"
	"context"
	"testing"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/pkg/labels"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/daemon/storage"
	"github.com/berth-dev/berth/layer"
	"github.com/berth-dev/berth/testutil/fixtures"
)

var diffIDTarball = bytes.Repeat([]byte("not really a tar, but layer bytes "), 100)

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
	for name, blob := range map[string][]byte{"gzip": fixtures.GzipBytes(t, diffIDTarball), "zstd": fixtures.ZstdBytes(t, diffIDTarball), "plain": diffIDTarball} {
		desc := put(blob)
		got, err := layer.DiffID(ctx, cs, desc)
		if err != nil || got != digest.FromBytes(diffIDTarball) {
			t.Fatalf("%s: DiffID = %s, %v", name, got, err)
		}
		info, err := cs.Info(ctx, desc.Digest)
		if err != nil || info.Labels[labels.LabelUncompressed] != got.String() {
			t.Fatalf("%s: diff ID not cached: %v %v", name, info.Labels, err)
		}
	}
	broken := fixtures.GzipBytes(t, diffIDTarball)
	broken = broken[:len(broken)/2]
	if _, err := layer.DiffID(ctx, cs, put(broken)); !errdefs.IsDataLoss(err) {
		t.Fatalf("truncated gzip: %v, want data loss", err)
	}
}
