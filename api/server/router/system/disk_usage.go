package system

import (
	"context"
	"net/http"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/api/types/volume"
	"github.com/moby/moby/client/pkg/versions"

	"github.com/berth-dev/berth/api/server/httputils"
	"github.com/berth-dev/berth/api/types/backend"
)

// getDiskUsage is GET /system/df, in the shape of the request's API
// version as dockerd answers it: below 1.52 the legacy lists (and below
// 1.44 each image's VirtualSize too); from 1.52 the per-type usage objects,
// with the legacy lists beside them unless verbose=1 says the client knows
// the new shape. `type` (from 1.42) selects the sections.
func (s *systemRouter) getDiskUsage(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	version := httputils.VersionFromContext(ctx)
	opts, err := diskUsageOptions(r, version)
	if err != nil {
		return err
	}
	du, err := s.backend.SystemDiskUsage(ctx, opts)
	if err != nil {
		return err
	}
	if versions.LessThan(version, "1.52") {
		legacy := legacyUsage(du)
		if versions.LessThan(version, "1.44") {
			return httputils.WriteJSON(w, http.StatusOK, withVirtualSizes(legacy))
		}
		return httputils.WriteJSON(w, http.StatusOK, legacy)
	}
	resp := diskUsageCompat{DiskUsage: &system.DiskUsage{
		ImageUsage:      du.Images,
		ContainerUsage:  du.Containers,
		VolumeUsage:     du.Volumes,
		BuildCacheUsage: du.BuildCache,
	}}
	if !httputils.BoolValue(r, "verbose") {
		resp.legacyDiskUsage = legacyUsage(du)
	}
	return httputils.WriteJSON(w, http.StatusOK, resp)
}

// diskUsageOptions reads `type`; without it (or before API 1.42) every
// section is computed, build cache included: dockerd always has a builder.
func diskUsageOptions(r *http.Request, version string) (backend.DiskUsageOptions, error) {
	types, ok := r.Form["type"]
	if versions.LessThan(version, "1.42") || !ok {
		return backend.DiskUsageOptions{Containers: true, Images: true, Volumes: true, BuildCache: true}, nil
	}
	var opts backend.DiskUsageOptions
	for _, t := range types {
		switch system.DiskUsageObject(t) {
		case system.ContainerObject:
			opts.Containers = true
		case system.ImageObject:
			opts.Images = true
		case system.VolumeObject:
			opts.Volumes = true
		case system.BuildCacheObject:
			opts.BuildCache = true
		default:
			return opts, errdefs.ErrInvalidArgument.WithMessage("unknown object type: " + t)
		}
	}
	return opts, nil
}

// legacyDiskUsage is the response of API < 1.52: a section asked for is a
// list, empty or not; one not asked for is left out.
type legacyDiskUsage struct {
	LayersSize int64               `json:"LayersSize,omitempty"`
	Images     []image.Summary     `json:"Images,omitzero"`
	Containers []container.Summary `json:"Containers,omitzero"`
	Volumes    []volume.Volume     `json:"Volumes,omitzero"`
	BuildCache []build.CacheRecord `json:"BuildCache,omitzero"`
}

// diskUsageCompat is the response of API >= 1.52: the legacy fields (unless
// verbose) and the per-type usage.
type diskUsageCompat struct {
	*legacyDiskUsage
	*system.DiskUsage
}

func legacyUsage(du *backend.DiskUsage) *legacyDiskUsage {
	var l legacyDiskUsage
	if du.Images != nil {
		l.LayersSize = du.Images.TotalSize
		l.Images = nonNil(du.Images.Items)
	}
	if du.Containers != nil {
		l.Containers = nonNil(du.Containers.Items)
	}
	if du.Volumes != nil {
		l.Volumes = nonNil(du.Volumes.Items)
	}
	if du.BuildCache != nil {
		l.BuildCache = nonNil(du.BuildCache.Items)
	}
	return &l
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// legacyDiskUsageVirtualSize is the response of API < 1.44, whose images
// carry VirtualSize (equal to Size).
type legacyDiskUsageVirtualSize struct {
	*legacyDiskUsage
	Images []imageWithVirtualSize `json:"Images,omitzero"`
}

type imageWithVirtualSize struct {
	image.Summary
	VirtualSize int64 `json:"VirtualSize"`
}

func withVirtualSizes(l *legacyDiskUsage) legacyDiskUsageVirtualSize {
	out := legacyDiskUsageVirtualSize{legacyDiskUsage: l}
	if l.Images != nil {
		out.Images = make([]imageWithVirtualSize, 0, len(l.Images))
		for _, img := range l.Images {
			out.Images = append(out.Images, imageWithVirtualSize{Summary: img, VirtualSize: img.Size})
		}
	}
	return out
}
