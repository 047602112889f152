package images

import (
	"context"
	"sort"

	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/log"
	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/api/types/backend"
	"github.com/berth-dev/berth/image"
)

// listFilters are the filters GET /images/json accepts.
func listFilters() []string {
	return []string{"dangling", "label", "label!", "before", "since", "reference", "until"}
}

// listedImage gathers the records of one target that passed the filters.
type listedImage struct {
	view    *imageView
	records []images.Image
}

// Images is GET /images/json: one summary per image (target digest), with
// the tags of its records that passed the filters, newest first.
func (s *ImageService) Images(ctx context.Context, opts backend.ListOptions) ([]imagetypes.Summary, error) {
	flt, err := s.newImageFilter(ctx, opts.Filters, listFilters()...)
	if err != nil {
		return nil, err
	}
	records, err := s.images.List(ctx)
	if err != nil {
		return nil, err
	}
	sortByName(records)

	cache := s.newUsageCache()
	byTarget := map[digest.Digest]*listedImage{}
	var order []digest.Digest
	for _, rec := range records {
		if !flt.matchRecord(rec) {
			continue
		}
		li, seen := byTarget[rec.Target.Digest]
		if !seen {
			v, err := s.viewImage(ctx, rec.Target, nil, cache)
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				log.G(ctx).WithError(err).WithField("image", rec.Name).Warn("cannot read image content; listing it without")
				v = &imageView{target: rec.Target}
			}
			li = &listedImage{view: v}
			byTarget[rec.Target.Digest] = li
			order = append(order, rec.Target.Digest)
		}
		if flt.needsContent() && !flt.matchImage(li.view, rec) {
			continue
		}
		li.records = append(li.records, rec)
	}

	out := make([]imagetypes.Summary, 0, len(order))
	var chains [][]digest.Digest
	for _, dgst := range order {
		li := byTarget[dgst]
		if len(li.records) == 0 {
			continue
		}
		sum := summarize(li, opts.Manifests)
		if opts.Identity {
			s.setManifestIdentities(ctx, &sum, li.view.target)
		}
		out = append(out, sum)
		chains = append(chains, chainIDsOf(li.view))
	}
	if opts.SharedSize {
		if err := setSharedSizes(ctx, out, chains, cache); err != nil {
			return nil, err
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Created != out[j].Created {
			return out[i].Created > out[j].Created
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// summarize renders one listed image.
func summarize(li *listedImage, withManifests bool) imagetypes.Summary {
	v := li.view
	var names []string
	for _, rec := range li.records {
		if !IsDangling(rec) {
			names = append(names, rec.Name)
		}
	}
	tags, digests := image.RepoTagsAndDigests(names, registryDigest(li.records, v.target.Digest))
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

// setSharedSizes sets SharedSize: the usage of the snapshots an image shares
// with at least one other listed image.
func setSharedSizes(ctx context.Context, list []imagetypes.Summary, chains [][]digest.Digest, cache *usageCache) error {
	users := map[digest.Digest]int{}
	for _, ids := range chains {
		for _, id := range ids {
			users[id]++
		}
	}
	for i, ids := range chains {
		var shared int64
		for _, id := range ids {
			if users[id] < 2 {
				continue
			}
			n, _, err := cache.usage(ctx, id)
			if err != nil {
				return err
			}
			shared += n
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
