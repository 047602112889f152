package images

import (
	"context"

	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/containerd/errdefs"
	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// usageCache remembers snapshot usage by chain ID for one request, so that
// layers shared by several images are measured once; usages found at the
// request's removal generation are kept across requests (meta_cache.go).
type usageCache struct {
	sn        snapshots.Snapshotter
	sizes     map[digest.Digest]int64 // -1: no such snapshot
	shared    *boundedCache[digest.Digest, cachedUsage]
	gen       uint64 // removals: what was present is still
	made      uint64 // snapshots created: what was missing still is
	cacheable bool
}

func (s *ImageService) newUsageCache() *usageCache {
	_, removals, ok := s.generations()
	var made uint64
	if ok {
		made, ok = s.storage.SnapshotGeneration()
	}
	return &usageCache{sn: s.snapshotService(), sizes: map[digest.Digest]int64{},
		shared: s.caches.usageCache(), gen: removals, made: made, cacheable: ok}
}

// usage returns the disk usage of the snapshot chainID and whether it
// exists.
func (c *usageCache) usage(ctx context.Context, chainID digest.Digest) (int64, bool, error) {
	if n, ok := c.sizes[chainID]; ok {
		return n, n >= 0, nil
	}
	if cu, ok := c.shared.get(chainID); ok && c.cacheable {
		if cu.size >= 0 && cu.gen == c.gen {
			c.sizes[chainID] = cu.size
			return cu.size, true, nil
		}
		if cu.size < 0 && cu.gen == c.made {
			c.sizes[chainID] = -1
			return 0, false, nil
		}
	}
	u, err := c.sn.Usage(ctx, chainID.String())
	if err != nil {
		if errdefs.IsNotFound(err) {
			c.sizes[chainID] = -1
			if c.cacheable {
				c.shared.put(chainID, cachedUsage{size: -1, gen: c.made})
			}
			return 0, false, nil
		}
		return 0, false, err
	}
	c.sizes[chainID] = u.Size
	if c.cacheable {
		c.shared.put(chainID, cachedUsage{size: u.Size, gen: c.gen})
	}
	return u.Size, true, nil
}

// imageView is an image target with its manifests, the one that describes
// it, and its sizes.
type imageView struct {
	target    ocispec.Descriptor
	manifests []*platformManifest
	// best is the runnable manifest chosen for the requested platform (or
	// the host's preferred one); nil when the image has none present.
	best *platformManifest
	// content is the size of the distinct present blobs of all manifests;
	// unpacked the usage of their distinct snapshots.
	content, unpacked int64
}

// size is what the API reports as an image's Size: packed content plus
// unpacked snapshots.
func (v *imageView) size() int64 { return v.content + v.unpacked }

// viewImage reads what target points at and measures it. want selects the
// best manifest (nil: any platform, the host's preferred).
func (s *ImageService) viewImage(ctx context.Context, target ocispec.Descriptor, want *ocispec.Platform, cache *usageCache) (*imageView, error) {
	list, err := s.platformManifests(ctx, target)
	if err != nil {
		return nil, err
	}
	v := &imageView{target: target, manifests: list, best: bestManifest(list, want)}
	blobs := map[digest.Digest]bool{}
	snaps := map[digest.Digest]bool{}
	for _, pm := range list {
		for _, b := range pm.Blobs {
			if !blobs[b.Digest] {
				blobs[b.Digest] = true
				v.content += b.Size
			}
		}
		for _, id := range pm.ChainIDs {
			n, ok, err := cache.usage(ctx, id)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			pm.Unpacked += n
			if !snaps[id] {
				snaps[id] = true
				v.unpacked += n
			}
		}
	}
	return v, nil
}

// manifestSummaries renders the manifests as the API's Manifests list. For
// an image manifest ImageData is always set, for an attestation
// AttestationData: the CLI's tree view relies on it.
func (v *imageView) manifestSummaries() []imagetypes.ManifestSummary {
	out := make([]imagetypes.ManifestSummary, 0, len(v.manifests))
	for _, pm := range v.manifests {
		ms := imagetypes.ManifestSummary{
			ID:         pm.Desc.Digest.String(),
			Descriptor: pm.Desc,
			Available:  pm.Available,
			Kind:       pm.Kind,
		}
		ms.Size.Content = pm.contentSize()
		ms.Size.Total = ms.Size.Content + pm.Unpacked
		switch pm.Kind {
		case imagetypes.ManifestKindImage:
			data := &imagetypes.ImageProperties{Platform: pm.Platform, Containers: []string{}}
			data.Size.Unpacked = pm.Unpacked
			ms.ImageData = data
		case imagetypes.ManifestKindAttestation:
			ms.AttestationData = &imagetypes.AttestationProperties{For: pm.AttestationFor}
		}
		out = append(out, ms)
	}
	return out
}

// labels returns the config labels of the image's best manifest.
func (v *imageView) labels() map[string]string {
	if v == nil {
		return nil
	}
	return configLabels(v.best)
}

// configLabels are the config labels of pm (nil for none).
func configLabels(pm *platformManifest) map[string]string {
	if pm == nil || pm.Config == nil {
		return nil
	}
	return pm.Config.Config.Labels
}
