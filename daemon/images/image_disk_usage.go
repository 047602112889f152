package images

import (
	"context"
	"fmt"

	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/log"
	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/api/types/backend"
)

// ImageDiskUsage is the images section of GET /system/df, as dockerd's
// containerd store reports it: every image as GET /images/json lists it,
// with SharedSize; TotalSize, what the images take on disk (each present
// blob and each snapshot once); Reclaimable, the sum of Size − SharedSize of
// the images no container uses — all of them, as berthd runs none.
func (s *ImageService) ImageDiskUsage(ctx context.Context) (*imagetypes.DiskUsage, error) {
	list, err := s.Images(ctx, backend.ListOptions{SharedSize: true})
	if err != nil {
		return nil, fmt.Errorf("failed to retrieve image list: %w", err)
	}
	total, err := s.imagesDiskSize(ctx)
	if err != nil {
		return nil, fmt.Errorf("failed to calculate image disk usage: %w", err)
	}
	du := &imagetypes.DiskUsage{TotalCount: int64(len(list)), TotalSize: total, Items: list}
	for _, img := range list {
		switch {
		case img.Containers < 0: // unknown: counted as in use
		case img.Containers > 0:
			du.ActiveCount++
		case img.Size != -1 && img.SharedSize != -1:
			du.Reclaimable += img.Size - img.SharedSize
		}
	}
	return du, nil
}

// imagesDiskSize is the size of the distinct present blobs every image
// record reaches (indexes included) plus the usage of their distinct
// snapshots.
func (s *ImageService) imagesDiskSize(ctx context.Context) (int64, error) {
	records, err := s.images.List(ctx)
	if err != nil {
		return 0, err
	}
	cache := s.newUsageCache()
	blobs := map[digest.Digest]bool{}
	snaps := map[digest.Digest]bool{}
	targets := map[digest.Digest]bool{}
	var total int64
	addBlob := func(d ocispec.Descriptor) {
		if !blobs[d.Digest] {
			blobs[d.Digest] = true
			total += d.Size
		}
	}
	for _, rec := range records {
		if targets[rec.Target.Digest] {
			continue
		}
		targets[rec.Target.Digest] = true
		v, err := s.viewImage(ctx, rec.Target, nil, cache)
		if err != nil {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			log.G(ctx).WithError(err).WithField("image", rec.Name).Warn("cannot read image content; counting it without")
			continue
		}
		for _, pm := range v.manifests {
			for _, b := range pm.Blobs {
				addBlob(b)
			}
			for _, id := range pm.ChainIDs {
				n, ok, err := cache.usage(ctx, id)
				if err != nil {
					return 0, err
				}
				if ok && !snaps[id] {
					snaps[id] = true
					total += n
				}
			}
		}
		indexes, err := s.presentIndexes(ctx, rec.Target)
		if err != nil {
			log.G(ctx).WithError(err).WithField("image", rec.Name).Warn("cannot read image indexes; counting them without")
		}
		for _, d := range indexes {
			addBlob(d)
		}
	}
	return total, nil
}

// presentIndexes lists the indexes reachable from target that are present.
func (s *ImageService) presentIndexes(ctx context.Context, target ocispec.Descriptor) ([]ocispec.Descriptor, error) {
	var out []ocispec.Descriptor
	handler := c8dimages.HandlerFunc(func(ctx context.Context, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
		if !c8dimages.IsIndexType(desc.MediaType) {
			return nil, nil
		}
		present, err := blobPresent(ctx, s.content, desc.Digest)
		if err != nil || !present {
			return nil, err
		}
		out = append(out, desc)
		return c8dimages.Children(ctx, s.content, desc)
	})
	if err := c8dimages.Walk(ctx, handler, target); err != nil {
		return nil, err
	}
	return out, nil
}
