package images

import (
	"context"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// collect runs a garbage collection and reports whether d is still stored.
func collect(t *testing.T, s *ImageService, desc ocispec.Descriptor) bool {
	t.Helper()
	if err := s.storage.CollectGarbage(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, err := s.content.Info(context.Background(), desc.Digest)
	if err != nil && !errdefs.IsNotFound(err) {
		t.Fatal(err)
	}
	return err == nil
}

// A blob a push reads that nothing else holds (an image removed, or a
// platform pulled after the push began) stays until the push ends.
func TestPushKeepsWhatItReads(t *testing.T) {
	s := newTestService(t)
	ctx, release, err := s.startLease(context.Background(), pushLeaseLabel, "x")
	if err != nil {
		t.Fatal(err)
	}
	blob := putBlob(t, s, ocispec.MediaTypeImageLayer, []byte("read by a push"), nil)
	ra, err := s.leasingStore().ReaderAt(ctx, blob)
	if err != nil {
		t.Fatal(err)
	}
	ra.Close()
	if !collect(t, s, blob) {
		t.Fatal("a blob the push read was collected while the push ran")
	}
	release(false)
	if collect(t, s, blob) {
		t.Fatal("the blob outlived the push (nothing else holds it)")
	}
}

// The image a push starts with is held from before its name can go: after
// holdImage, removing the name collects nothing the push needs.
func TestPushHoldsItsImageAgainstRemoval(t *testing.T) {
	s := newTestService(t)
	manifest, layer := putImage(t, s, "held", nil)
	putRecord(t, s, "example.com/held:v1", manifest, nil)
	ref, _ := reference.ParseNormalizedNamed("example.com/held:v1")
	ctx, release, err := s.startLease(context.Background(), pushLeaseLabel, ref.String())
	if err != nil {
		t.Fatal(err)
	}
	defer release(false)
	img, err := s.holdImage(ctx, ref)
	if err != nil || img.Target.Digest != manifest.Digest {
		t.Fatalf("holdImage = %v, %v; want the image of %s", img.Target.Digest, err, manifest.Digest)
	}
	if err := s.images.Delete(context.Background(), ref.String()); err != nil {
		t.Fatal(err)
	}
	if !collect(t, s, manifest) || !collect(t, s, layer) {
		t.Fatal("removing the name collected content of a push that had started")
	}
	if _, err := s.holdImage(ctx, ref); !errdefs.IsNotFound(err) || err.Error() != "tag does not exist: example.com/held:v1" {
		t.Fatalf("holdImage of a removed name = %v, want dockerd's \"tag does not exist\"", err)
	}
}
