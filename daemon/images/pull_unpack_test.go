package images

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/diff"
	"github.com/containerd/containerd/v2/core/mount"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/semaphore"

	"github.com/berth-dev/berth/daemon/storage"
	"github.com/berth-dev/berth/layer/inflight"
)

type applierFunc func(context.Context, ocispec.Descriptor) (ocispec.Descriptor, error)

func (f applierFunc) Apply(ctx context.Context, desc ocispec.Descriptor, _ []mount.Mount, _ ...diff.ApplyOpt) (ocispec.Descriptor, error) {
	return f(ctx, desc)
}

// TestApplySlotWaitsForBytes: a layer whose download has not started holds
// no apply slot (another layer can have it), and takes one once its fetch
// has delivered; a blob nobody downloads is applied at once, and a
// cancelled wait ends the apply.
func TestApplySlotWaitsForBytes(t *testing.T) {
	tab := inflight.NewTable()
	slots := semaphore.NewWeighted(1)
	applied := make(chan digest.Digest, 3)
	a := slotApplier{Applier: applierFunc(func(_ context.Context, d ocispec.Descriptor) (ocispec.Descriptor, error) {
		applied <- d.Digest
		return d, nil
	}), slots: slots, table: tab}

	queued := ocispec.Descriptor{Digest: digest.FromString("queued"), Size: 6}
	h := tab.Expect(queued)
	defer h.Release()
	done := make(chan error, 1)
	go func() { _, err := a.Apply(context.Background(), queued, nil); done <- err }()
	time.Sleep(50 * time.Millisecond)
	if !slots.TryAcquire(1) {
		t.Fatal("a layer whose download has not started holds the apply slot")
	}
	slots.Release(1)

	present := ocispec.Descriptor{Digest: digest.FromString("present"), Size: 7}
	if _, err := a.Apply(context.Background(), present, nil); err != nil || <-applied != present.Digest {
		t.Fatalf("a blob nobody downloads: %v", err)
	}

	h.Done(nil)
	if err := <-done; err != nil || <-applied != queued.Digest {
		t.Fatalf("after its fetch delivered: %v", err)
	}

	other := ocispec.Descriptor{Digest: digest.FromString("other"), Size: 5}
	h2 := tab.Expect(other)
	defer h2.Release()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := a.Apply(ctx, other, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled while waiting: %v", err)
	}
}

// TestApplySlotFreedForSync: the apply slot bounds a layer's CPU work; once
// the applier reports the layer untarred (before its syncfs), another layer
// can take the slot while this Apply still waits, and the slot is given back
// once, not twice, when the Apply returns.
func TestApplySlotFreedForSync(t *testing.T) {
	slots := semaphore.NewWeighted(1)
	syncing, synced := make(chan struct{}), make(chan struct{})
	a := slotApplier{Applier: applierFunc(func(ctx context.Context, d ocispec.Descriptor) (ocispec.Descriptor, error) {
		storage.BeforeSync(ctx)
		close(syncing)
		<-synced
		return d, nil
	}), slots: slots}

	done := make(chan error, 1)
	go func() {
		_, err := a.Apply(context.Background(), ocispec.Descriptor{Digest: digest.FromString("big")}, nil)
		done <- err
	}()
	<-syncing
	if !slots.TryAcquire(1) {
		t.Fatal("a layer waiting for its sync holds the apply slot")
	}
	close(synced)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if slots.TryAcquire(1) {
		t.Fatal("the slot was given back twice")
	}
	slots.Release(1)
}
