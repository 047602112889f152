package images

import (
	"context"
	"maps"
	"slices"

	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/log"
	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// After a write the kept listing is stale, but most images in it are not:
// an image's summary depends on its records and on what its target points
// at. When every manifest of the image was fully present, a later write can
// add nothing to it; only a removal (the removal generation) or a new
// snapshot (the snapshot generation) can change its sizes. So an unfiltered
// listing without shared sizes or identities keeps each such summary, and
// the next listing rebuilds only the images whose records changed, or that
// were incomplete, or all of them once either generation moved.

// keptSummary is one image's summary as listed at removal generation
// removals and snapshot generation snaps, from records.
type keptSummary struct {
	removals, snaps uint64
	records         []c8dimages.Image
	sum             imagetypes.Summary // what it points to is shared, read-only
}

// keptSummaries are the reusable summaries of the last listing per options.
type keptSummaries map[digest.Digest]keptSummary

// summariesFor returns the summaries kept for key (read-only).
func (c *metaCaches) summariesFor(key listKey) keptSummaries {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.summaries[key]
}

// keepSummaries replaces the summaries kept for key.
func (c *metaCaches) keepSummaries(key listKey, kept keptSummaries) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.summaries == nil {
		c.summaries = map[listKey]keptSummaries{}
	}
	c.summaries[key] = kept
}

// listReusing builds an unfiltered listing (unsorted), reusing the
// summaries kept for key that still hold, and keeps the new ones.
func (s *ImageService) listReusing(ctx context.Context, key listKey, cache *usageCache) ([]imagetypes.Summary, error) {
	snap, err := s.recordsSnapshot(ctx)
	if err != nil {
		return nil, err
	}
	prev := s.caches.summariesFor(key)
	next := make(keptSummaries, len(snap.byTarget))
	out := make([]imagetypes.Summary, 0, len(snap.byTarget))
	for d, idxs := range snap.byTarget {
		recs := make([]c8dimages.Image, len(idxs))
		for i, idx := range idxs {
			recs[i] = snap.records[idx]
		}
		if k, ok := prev[d]; ok && cache.cacheable && k.removals == cache.gen && k.snaps == cache.made && sameRecords(k.records, recs) {
			next[d] = k
			out = append(out, k.sum)
			continue
		}
		v, err := s.viewImage(ctx, recs[0].Target, nil, cache)
		complete := err == nil && fullyPresent(v)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			log.G(ctx).WithError(err).WithField("image", recs[0].Name).Warn("cannot read image content; listing it without")
			v = &imageView{target: recs[0].Target}
		}
		sum := summarize(&selectedImage{view: v, records: recs}, key.manifests, s.caches.nameCache())
		if complete && cache.cacheable {
			next[d] = keptSummary{removals: cache.gen, snaps: cache.made, records: recs, sum: sum}
		}
		out = append(out, sum)
	}
	s.caches.keepSummaries(key, next)
	return out, nil
}

// fullyPresent reports whether every manifest v reaches, with its config
// and layers, is present.
func fullyPresent(v *imageView) bool {
	if len(v.manifests) == 0 {
		return false
	}
	for _, pm := range v.manifests {
		if !pm.Available {
			return false
		}
	}
	return true
}

// sameRecords reports whether a and b are the same records.
func sameRecords(a, b []c8dimages.Image) bool {
	return slices.EqualFunc(a, b, func(x, y c8dimages.Image) bool {
		return x.Name == y.Name && sameDescriptor(x.Target, y.Target) &&
			x.CreatedAt.Equal(y.CreatedAt) && x.UpdatedAt.Equal(y.UpdatedAt) && maps.Equal(x.Labels, y.Labels)
	})
}

func sameDescriptor(x, y ocispec.Descriptor) bool {
	return x.Digest == y.Digest && x.MediaType == y.MediaType && x.Size == y.Size &&
		x.ArtifactType == y.ArtifactType && maps.Equal(x.Annotations, y.Annotations) &&
		slices.Equal(x.URLs, y.URLs) && x.Platform == nil && y.Platform == nil && len(x.Data) == 0 && len(y.Data) == 0
}
