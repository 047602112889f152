package images

import (
	"context"
	"fmt"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/diff"
	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/unpack"
	"github.com/containerd/platforms"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// The unpack step of the pull: layers are applied into the service's
// snapshotter, at most s.unpacks at once, with the applier's progress
// reported as "Extracting".

// newUnpacker is containerd's unpacker for a pull that streams: it wraps the
// pull's dispatch so each layer is applied as soon as it is fetched (and a
// layer whose snapshot exists is not fetched at all).
func (s *ImageService) newUnpacker(ctx context.Context, progress *pullProgress) (*unpack.Unpacker, error) {
	caps, err := s.client.GetSnapshotterCapabilities(ctx, s.snapshotter)
	if err != nil {
		return nil, fmt.Errorf("unable to get snapshotter capabilities: %w", err)
	}
	return unpack.NewUnpacker(ctx, s.content,
		unpack.WithUnpackPlatform(unpack.Platform{
			// The pull chose the platform; unpack what it chose.
			Platform:                platforms.All,
			SnapshotterKey:          s.snapshotter,
			Snapshotter:             s.snapshotService(),
			SnapshotterCapabilities: caps,
			Applier:                 s.client.DiffService(),
			ApplyOpts:               []diff.ApplyOpt{diff.WithProgress(progress.extractProgress)},
		}),
		unpack.WithUnpackLimiter(s.unpacks),
		unpack.WithDuplicationSuppressor(pullLocks{locks: s.unpackLocks, progress: progress}),
	)
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
