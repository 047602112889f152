package images

import (
	"context"
	"fmt"
	"sync"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/diff"
	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/mount"
	"github.com/containerd/containerd/v2/core/unpack"
	"github.com/containerd/platforms"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/semaphore"

	"github.com/berth-dev/berth/daemon/storage"
	"github.com/berth-dev/berth/layer/inflight"
)

// The unpack step of the pull: layers are applied into the service's
// snapshotter, at most s.unpacks at once, with the applier's progress
// reported as "Extracting". A layer applied while it downloads takes its
// slot only once its bytes arrive: given at the start, the slots of all
// pulls went to the first layers of each, which then waited for download
// slots that later layers held, and the CPU sat idle. It gives the slot
// back once the layer is untarred (storage.WithBeforeSync): its syncfs
// waits on the disk, not the CPU, and another layer can decompress
// meanwhile.

// newUnpacker is containerd's unpacker for a pull that streams: it wraps the
// pull's dispatch so each layer is applied as soon as it is fetched. A
// layer whose snapshot exists is not fetched at all unless fetchAll: the
// pull asks for that when a layer blob is missing (leaseLayers), since the
// image must have every blob (save and push read them). It labels blobs
// through store.
func (s *ImageService) newUnpacker(ctx context.Context, store content.Store, progress *pullProgress, fetchAll bool) (*unpack.Unpacker, error) {
	caps, err := s.client.GetSnapshotterCapabilities(ctx, s.snapshotter)
	if err != nil {
		return nil, fmt.Errorf("unable to get snapshotter capabilities: %w", err)
	}
	opts := []unpack.UnpackerOpt{
		unpack.WithUnpackPlatform(unpack.Platform{
			// The pull chose the platform; unpack what it chose.
			Platform:                platforms.All,
			SnapshotterKey:          s.snapshotter,
			Snapshotter:             s.snapshotService(),
			SnapshotterCapabilities: caps,
			Applier:                 slotApplier{Applier: s.client.DiffService(), slots: s.unpacks, table: s.inflight},
			ApplyOpts:               []diff.ApplyOpt{diff.WithProgress(progress.extractProgress)},
		}),
		// The applier takes the slots (slotApplier); a limiter must still be
		// given for the layers to be unpacked in parallel.
		unpack.WithUnpackLimiter(noLimit{}),
		unpack.WithDuplicationSuppressor(pullLocks{locks: s.unpackLocks, progress: progress}),
	}
	if fetchAll {
		opts = append(opts, unpack.WithFetchAllContent())
	}
	return unpack.NewUnpacker(ctx, store, opts...)
}

// unpack applies the layers of the image target for platform that are not
// unpacked yet (after a fetch that did not stream them).
func (s *ImageService) unpack(ctx context.Context, name string, target ocispec.Descriptor, platform ocispec.Platform, progress *pullProgress) error {
	img := client.NewImageWithPlatform(s.client, c8dimages.Image{Name: name, Target: target}, platforms.Only(platform))
	err := img.Unpack(ctx, s.snapshotter,
		client.WithUnpackLimiter(s.unpacks),
		client.WithUnpackDuplicationSuppressor(pullLocks{locks: s.unpackLocks, progress: progress}),
		client.WithUnpackApplyOpts(diff.WithProgress(progress.extractProgress)))
	if err != nil {
		return fmt.Errorf("failed to unpack image on snapshotter %s: %w", s.snapshotter, err)
	}
	return nil
}

// slotApplier applies a layer in one of slots, taken once the layer's
// bytes are arriving (table.WaitStarted; at once for a blob not being
// downloaded, or without a table).
type slotApplier struct {
	diff.Applier
	slots *semaphore.Weighted
	table *inflight.Table
}

func (a slotApplier) Apply(ctx context.Context, desc ocispec.Descriptor, mounts []mount.Mount, opts ...diff.ApplyOpt) (ocispec.Descriptor, error) {
	if a.table != nil {
		if err := a.table.WaitStarted(desc.Digest, ctx.Done()); err != nil {
			return ocispec.Descriptor{}, err
		}
	}
	if err := a.slots.Acquire(ctx, 1); err != nil {
		return ocispec.Descriptor{}, err
	}
	// The slot bounds the CPU work: it is given back when the layer is
	// untarred, while its syncfs waits on the disk.
	var once sync.Once
	release := func() { once.Do(func() { a.slots.Release(1) }) }
	defer release()
	return a.Applier.Apply(storage.WithBeforeSync(ctx, release), desc, mounts, opts...)
}

// noLimit is an unpack.Limiter that never waits.
type noLimit struct{}

func (noLimit) Acquire(context.Context, int64) error { return nil }
func (noLimit) Release(int64)                        {}
