package images

import (
	"context"
	"testing"

	c8dimages "github.com/containerd/containerd/v2/core/images"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestLeaseImageContentWritesPerLevel: an image's content joins a lease
// one level of its tree per metadata write (manifest, then config and
// layers), and reading those blobs afterwards through the operation's
// leasing store writes nothing more; everything stays through a
// collection once the record is gone.
func TestLeaseImageContentWritesPerLevel(t *testing.T) {
	s := newTestService(t)
	manifest, layer := putImage(t, s, "levels", nil)
	putRecord(t, s, "example.com/levels:v1", manifest, nil)
	ctx, release, err := s.startOperationLease(context.Background(), "save")
	if err != nil {
		t.Fatal(err)
	}
	defer release(false)
	writes := func() uint64 {
		w, _, ok := s.storage.Generations()
		if !ok {
			t.Fatal("the embedded storage counts no writes")
		}
		return w
	}

	before := writes()
	if err := s.leaseImageContent(ctx, c8dimages.Image{Target: manifest}); err != nil {
		t.Fatal(err)
	}
	if n := writes() - before; n != 2 {
		t.Errorf("leasing a one-layer image took %d metadata writes, want 2 (one per level)", n)
	}
	before = writes()
	store := s.leasingStore()
	for _, d := range []ocispec.Descriptor{manifest, layer} {
		if _, err := store.Info(ctx, d.Digest); err != nil {
			t.Fatal(err)
		}
	}
	if ra, err := store.ReaderAt(ctx, layer); err != nil {
		t.Fatal(err)
	} else {
		ra.Close()
	}
	if n := writes() - before; n != 0 {
		t.Errorf("reading blobs the lease holds took %d metadata writes, want 0", n)
	}

	if err := s.images.Delete(context.Background(), "example.com/levels:v1"); err != nil {
		t.Fatal(err)
	}
	for _, d := range []ocispec.Descriptor{manifest, layer} {
		if !collect(t, s, d) {
			t.Errorf("blob %s left the lease", d.Digest)
		}
	}
}
