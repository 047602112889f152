package daemon

import (
	"context"

	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/volume"

	"github.com/berth-dev/berth/api/types/backend"
)

// SystemDiskUsage is GET /system/df. berthd keeps no containers, volumes
// or build cache, so those sections are empty.
func (d *Daemon) SystemDiskUsage(ctx context.Context, opts backend.DiskUsageOptions) (*backend.DiskUsage, error) {
	du := &backend.DiskUsage{}
	if opts.Images {
		images, err := d.images.ImageDiskUsage(ctx)
		if err != nil {
			return nil, err
		}
		du.Images = images
	}
	if opts.Containers {
		du.Containers = &container.DiskUsage{}
	}
	if opts.Volumes {
		du.Volumes = &volume.DiskUsage{}
	}
	if opts.BuildCache {
		du.BuildCache = &build.DiskUsage{}
	}
	return du, nil
}
