package image

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/containerd/containerd/v2/core/content"
	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Selection is the platform manifest chosen under a root descriptor, with
// the chain of indexes that leads to it.
type Selection struct {
	// Manifest is the chosen image manifest.
	Manifest ocispec.Descriptor
	// Platform is the manifest's platform (from its descriptor, else its
	// config); nil when neither says.
	Platform *ocispec.Platform
	// Path holds, for each index on the way from the root to Manifest, the
	// child to follow: index digest → child descriptor.
	Path map[string]ocispec.Descriptor
}

// candidate is one matching manifest found while walking an index tree.
type candidate struct {
	desc     ocispec.Descriptor
	platform *ocispec.Platform
	// declared is true when the index gave the platform; manifests without
	// a declared platform rank after every declared match.
	declared bool
	path     []ocispec.Descriptor // indexes from the root, root first
	order    int
}

// SelectManifest chooses the image manifest for platform under root, the
// way containerd resolves an index: nested indexes are searched, children of
// unknown media types are skipped, a child without platform is allowed (its
// config's platform, when it has one, must match), and the most specific
// match wins (for linux/arm/v7: v7, then v6, then an undeclared platform). An
// inner index with no match is skipped. A root that is itself a manifest is
// returned as is. Missing content is fetched through provider (which may be
// a store-only provider: then missing children are skipped as unavailable).
func SelectManifest(ctx context.Context, provider content.Provider, root ocispec.Descriptor, platform platforms.MatchComparer) (Selection, error) {
	if c8dimages.IsManifestType(root.MediaType) {
		return Selection{Manifest: root, Platform: root.Platform, Path: map[string]ocispec.Descriptor{}}, nil
	}
	if !c8dimages.IsIndexType(root.MediaType) {
		return Selection{}, fmt.Errorf("unexpected media type %s for %s: %w", root.MediaType, root.Digest, errdefs.ErrNotImplemented)
	}
	declaredMatch := func(child ocispec.Descriptor) bool {
		return child.Platform == nil || platform.Match(*child.Platform)
	}
	var found []candidate
	err := WalkManifests(ctx, provider, root, declaredMatch, func(child ocispec.Descriptor, indexes []ocispec.Descriptor) error {
		c := candidate{desc: child, platform: child.Platform, declared: child.Platform != nil, path: slices.Clone(indexes), order: len(found)}
		if child.Platform == nil {
			p, ok, err := configPlatform(ctx, provider, child)
			if err != nil {
				if errdefs.IsNotFound(err) {
					return nil // not available here
				}
				return err
			}
			if ok {
				if !platform.Match(p) {
					return nil
				}
				c.platform = &p
			}
		}
		found = append(found, c)
		return nil
	})
	if err != nil {
		return Selection{}, err
	}
	if len(found) == 0 {
		return Selection{}, fmt.Errorf("no match for platform in manifest: %w", errdefs.ErrNotFound)
	}
	sort.SliceStable(found, func(i, j int) bool {
		a, b := found[i], found[j]
		if a.declared != b.declared {
			return a.declared
		}
		if a.platform != nil && b.platform != nil && platform.Less(*a.platform, *b.platform) {
			return true
		}
		if a.platform != nil && b.platform != nil && platform.Less(*b.platform, *a.platform) {
			return false
		}
		return a.order < b.order
	})
	best := found[0]
	sel := Selection{Manifest: best.desc, Platform: best.platform, Path: map[string]ocispec.Descriptor{}}
	chain := append(append([]ocispec.Descriptor{}, best.path...), best.desc)
	for i := 0; i+1 < len(chain); i++ {
		sel.Path[chain[i].Digest.String()] = chain[i+1]
	}
	return sel, nil
}

// configPlatform reads the platform of a manifest's config; ok is false when
// the config does not name one (or does not decode).
func configPlatform(ctx context.Context, provider content.Provider, desc ocispec.Descriptor) (ocispec.Platform, bool, error) {
	m, err := ReadManifest(ctx, provider, desc)
	if err != nil {
		return ocispec.Platform{}, false, err
	}
	var p ocispec.Platform
	if err := ReadConfigInto(ctx, provider, m.Config, &p); err != nil {
		if errdefs.IsDataLoss(err) {
			return ocispec.Platform{}, false, nil
		}
		return ocispec.Platform{}, false, err
	}
	if p.OS == "" {
		return ocispec.Platform{}, false, nil
	}
	return platforms.Normalize(p), true, nil
}
