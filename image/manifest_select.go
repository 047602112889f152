// Package image holds helpers over the image model: choosing the platform
// manifest of an index, and reading what an image record points at.
package image

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
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
	if images.IsManifestType(root.MediaType) {
		return Selection{Manifest: root, Platform: root.Platform, Path: map[string]ocispec.Descriptor{}}, nil
	}
	if !images.IsIndexType(root.MediaType) {
		return Selection{}, fmt.Errorf("unexpected media type %s for %s: %w", root.MediaType, root.Digest, errdefs.ErrNotImplemented)
	}
	w := walker{provider: provider, platform: platform, seen: map[string]bool{}}
	if err := w.walkIndex(ctx, root, nil); err != nil {
		return Selection{}, err
	}
	if len(w.found) == 0 {
		return Selection{}, fmt.Errorf("no match for platform in manifest: %w", errdefs.ErrNotFound)
	}
	sort.SliceStable(w.found, func(i, j int) bool {
		a, b := w.found[i], w.found[j]
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
	best := w.found[0]
	sel := Selection{Manifest: best.desc, Platform: best.platform, Path: map[string]ocispec.Descriptor{}}
	chain := append(append([]ocispec.Descriptor{}, best.path...), best.desc)
	for i := 0; i+1 < len(chain); i++ {
		sel.Path[chain[i].Digest.String()] = chain[i+1]
	}
	return sel, nil
}

type walker struct {
	provider content.Provider
	platform platforms.MatchComparer
	found    []candidate
	seen     map[string]bool
}

func (w *walker) walkIndex(ctx context.Context, desc ocispec.Descriptor, path []ocispec.Descriptor) error {
	if w.seen[desc.Digest.String()] {
		return nil // a cycle or a repeated index adds nothing
	}
	w.seen[desc.Digest.String()] = true
	data, err := content.ReadBlob(ctx, w.provider, desc)
	if err != nil {
		return err
	}
	var idx ocispec.Index
	if err := json.Unmarshal(data, &idx); err != nil {
		return fmt.Errorf("invalid index %s: %v: %w", desc.Digest, err, errdefs.ErrInvalidArgument)
	}
	path = append(append([]ocispec.Descriptor{}, path...), desc)
	for _, child := range idx.Manifests {
		if err := child.Digest.Validate(); err != nil {
			return fmt.Errorf("invalid index %s: child %q: %v: %w", desc.Digest, child.Digest, err, errdefs.ErrInvalidArgument)
		}
		if child.Platform != nil && !w.platform.Match(*child.Platform) {
			continue
		}
		switch {
		case images.IsIndexType(child.MediaType):
			if err := w.walkIndex(ctx, child, path); err != nil && !errdefs.IsNotFound(err) {
				return err
			}
		case images.IsManifestType(child.MediaType):
			c := candidate{desc: child, platform: child.Platform, declared: child.Platform != nil, path: path, order: len(w.found)}
			if child.Platform == nil {
				p, ok, err := w.configPlatform(ctx, child)
				if err != nil {
					if errdefs.IsNotFound(err) {
						continue // not available here
					}
					return err
				}
				if ok {
					if !w.platform.Match(p) {
						continue
					}
					c.platform = &p
				}
			}
			w.found = append(w.found, c)
		default:
			// Unknown media types (and foreign artifacts) are skipped.
		}
	}
	return nil
}

// configPlatform reads the platform of a manifest's config; ok is false when
// the config does not name one.
func (w *walker) configPlatform(ctx context.Context, desc ocispec.Descriptor) (ocispec.Platform, bool, error) {
	data, err := content.ReadBlob(ctx, w.provider, desc)
	if err != nil {
		return ocispec.Platform{}, false, err
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return ocispec.Platform{}, false, fmt.Errorf("invalid manifest %s: %v: %w", desc.Digest, err, errdefs.ErrInvalidArgument)
	}
	cfg, err := content.ReadBlob(ctx, w.provider, m.Config)
	if err != nil {
		return ocispec.Platform{}, false, err
	}
	var p ocispec.Platform
	if err := json.Unmarshal(cfg, &p); err != nil || p.OS == "" {
		return ocispec.Platform{}, false, nil
	}
	return platforms.Normalize(p), true, nil
}
