package image

import (
	"context"
	"fmt"

	"github.com/containerd/containerd/v2/core/content"
	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// WalkManifests calls visit for every manifest reachable from root: root
// itself when it is a manifest, else the manifests its index and nested
// indexes list, depth first in index order, each with the indexes above it
// (root first). Each index is read once (a repeated or cyclic index adds
// nothing); children of other media types are skipped, and so are children
// include rejects (nil includes all) and nested indexes that are not
// available (not found). Errors reading root, and visit's, are returned;
// an entry with an invalid digest is an invalid-argument error.
func WalkManifests(ctx context.Context, provider content.Provider, root ocispec.Descriptor, include func(ocispec.Descriptor) bool, visit func(desc ocispec.Descriptor, indexes []ocispec.Descriptor) error) error {
	if c8dimages.IsManifestType(root.MediaType) {
		return visit(root, nil)
	}
	w := manifestWalker{provider: provider, include: include, visit: visit, seen: map[string]bool{}}
	return w.index(ctx, root, nil)
}

type manifestWalker struct {
	provider content.Provider
	include  func(ocispec.Descriptor) bool
	visit    func(ocispec.Descriptor, []ocispec.Descriptor) error
	seen     map[string]bool
}

func (w *manifestWalker) index(ctx context.Context, desc ocispec.Descriptor, parents []ocispec.Descriptor) error {
	if !c8dimages.IsIndexType(desc.MediaType) || w.seen[desc.Digest.String()] {
		return nil
	}
	w.seen[desc.Digest.String()] = true
	idx, err := ReadIndex(ctx, w.provider, desc)
	if err != nil {
		return err
	}
	path := append(append([]ocispec.Descriptor{}, parents...), desc)
	for _, child := range idx.Manifests {
		// An entry without a valid digest names nothing (fuzzing found
		// one selected).
		if err := child.Digest.Validate(); err != nil {
			return fmt.Errorf("invalid index %s: child %q: %v: %w", desc.Digest, child.Digest, err, errdefs.ErrInvalidArgument)
		}
		if w.include != nil && !w.include(child) {
			continue
		}
		switch {
		case c8dimages.IsIndexType(child.MediaType):
			if err := w.index(ctx, child, path); err != nil && !errdefs.IsNotFound(err) {
				return err
			}
		case c8dimages.IsManifestType(child.MediaType):
			if err := w.visit(child, path); err != nil {
				return err
			}
		}
	}
	return nil
}
