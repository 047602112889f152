package backend

import (
	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/volume"
)

// DiskUsageOptions is GET /system/df: which sections to compute.
type DiskUsageOptions struct {
	Containers, Images, Volumes, BuildCache bool
}

// DiskUsage is what GET /system/df reports, with the items of each section
// (dockerd lists them in every response shape); a section not asked for is
// nil.
type DiskUsage struct {
	Images     *image.DiskUsage
	Containers *container.DiskUsage
	Volumes    *volume.DiskUsage
	BuildCache *build.DiskUsage
}
