package images

import (
	"context"
	"sort"

	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/api/types/backend"
)

// listFilters are the filters GET /images/json accepts.
func listFilters() []string {
	return []string{"dangling", "label", "label!", "before", "since", "reference", "until"}
}

// Images is GET /images/json: one summary per image (target digest), with
// the tags of its records that passed the filters, newest first.
func (s *ImageService) Images(ctx context.Context, opts backend.ListOptions) ([]imagetypes.Summary, error) {
	flt, err := s.newImageFilter(ctx, opts.Filters, listFilters()...)
	if err != nil {
		return nil, err
	}
	key, at, keep := s.listCacheKey(opts)
	if keep {
		if list, ok := s.caches.cachedListing(key, at); ok {
			return list, nil
		}
	}
	cache := s.newUsageCache()
	var out []imagetypes.Summary
	if keep && !opts.SharedSize && !opts.Identity {
		out, err = s.listReusing(ctx, key, cache)
	} else {
		out, err = s.buildListing(ctx, opts, flt, cache)
	}
	if err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Created != out[j].Created {
			return out[i].Created > out[j].Created
		}
		return out[i].ID < out[j].ID
	})
	if keep {
		s.caches.keepListing(key, at, out)
	}
	return out, nil
}

// buildListing summarises every image flt selects (unsorted).
func (s *ImageService) buildListing(ctx context.Context, opts backend.ListOptions, flt *imageFilter, cache *usageCache) ([]imagetypes.Summary, error) {
	selected, err := s.selectImages(ctx, flt, cache, true)
	if err != nil {
		return nil, err
	}
	out := make([]imagetypes.Summary, 0, len(selected))
	views := make([]*imageView, 0, len(selected))
	for _, sel := range selected {
		sum := summarize(sel, opts.Manifests, s.caches.nameCache())
		if opts.Identity {
			s.setManifestIdentities(ctx, &sum, sel.view.target)
		}
		out = append(out, sum)
		views = append(views, sel.view)
	}
	if opts.SharedSize {
		if err := setSharedSizes(ctx, out, views, cache); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// summarize renders one listed image.
func summarize(li *selectedImage, withManifests bool, names *boundedCache[string, nameFacts]) imagetypes.Summary {
	v := li.view
	var named []string
	for _, rec := range li.records {
		if !IsDangling(rec) {
			named = append(named, rec.Name)
		}
	}
	tags, digests := repoTagsAndDigestsCached(named, registryDigest(li.records, v.target.Digest), names)
	lbls := v.labels()
	if lbls == nil {
		lbls = map[string]string{}
	}
	target := v.target
	sum := imagetypes.Summary{
		ID:          target.Digest.String(),
		RepoTags:    tags,
		RepoDigests: digests,
		Created:     createdOf(v, li.records[0]).Unix(),
		Size:        v.size(),
		SharedSize:  -1,
		Labels:      lbls,
		Containers:  0,
		Descriptor:  &target,
	}
	if withManifests {
		sum.Manifests = v.manifestSummaries()
	}
	return sum
}

// chainIDsOf lists the distinct snapshot keys of every manifest of v.
func chainIDsOf(v *imageView) []digest.Digest {
	seen := map[digest.Digest]bool{}
	var out []digest.Digest
	for _, pm := range v.manifests {
		for _, id := range pm.ChainIDs {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out
}

// setSharedSizes sets SharedSize, as dockerd: the usage of the snapshots
// and the size of the blobs an image shares with at least one other listed
// image.
func setSharedSizes(ctx context.Context, list []imagetypes.Summary, views []*imageView, cache *usageCache) error {
	chains := make([][]digest.Digest, len(views))
	blobs := make([]map[digest.Digest]int64, len(views))
	snapUsers := map[digest.Digest]int{}
	blobUsers := map[digest.Digest]int{}
	for i, v := range views {
		chains[i] = chainIDsOf(v)
		for _, id := range chains[i] {
			snapUsers[id]++
		}
		blobs[i] = map[digest.Digest]int64{}
		for _, pm := range v.manifests {
			for _, b := range pm.Blobs {
				blobs[i][b.Digest] = b.Size
			}
		}
		for d := range blobs[i] {
			blobUsers[d]++
		}
	}
	for i, ids := range chains {
		var shared int64
		for _, id := range ids {
			if snapUsers[id] < 2 {
				continue
			}
			n, _, err := cache.usage(ctx, id)
			if err != nil {
				return err
			}
			shared += n
		}
		for d, size := range blobs[i] {
			if blobUsers[d] > 1 {
				shared += size
			}
		}
		list[i].SharedSize = shared
	}
	return nil
}

// setManifestIdentities gives every available image manifest of sum the
// image's Identity, as dockerd does.
func (s *ImageService) setManifestIdentities(ctx context.Context, sum *imagetypes.Summary, target ocispec.Descriptor) {
	id := s.imageIdentity(ctx, target)
	if id == nil {
		return
	}
	for i := range sum.Manifests {
		m := &sum.Manifests[i]
		if m.Kind == imagetypes.ManifestKindImage && m.Available && m.ImageData != nil {
			m.ImageData.Identity = id
		}
	}
}
