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
// available (not found). Errors reading root, and visit's, are returned; so
// is an index nested deeper than MaxIndexDepth, and an entry with an invalid
// digest (invalid argument). The walk is linear in the indexes read: indexes
// is one stack shared by all visits, valid only during the call (copy it to
// keep it).
func WalkManifests(ctx context.Context, provider content.Provider, root ocispec.Descriptor, include func(ocispec.Descriptor) bool, visit func(desc ocispec.Descriptor, indexes []ocispec.Descriptor) error) error {
	if c8dimages.IsManifestType(root.MediaType) {
		return visit(root, nil)
	}
	w := manifestWalker{provider: provider, include: include, visit: visit, seen: map[string]bool{}}
	return w.index(ctx, root)
}

type manifestWalker struct {
	provider content.Provider
	include  func(ocispec.Descriptor) bool
	visit    func(ocispec.Descriptor, []ocispec.Descriptor) error
	seen     map[string]bool
	// stack holds the indexes from the root to the one being read.
	stack []ocispec.Descriptor
}

func (w *manifestWalker) index(ctx context.Context, desc ocispec.Descriptor) error {
	if !c8dimages.IsIndexType(desc.MediaType) || w.seen[desc.Digest.String()] {
		return nil
	}
	if len(w.stack) >= MaxIndexDepth {
		return errIndexTooDeep(desc)
	}
	w.seen[desc.Digest.String()] = true
	idx, err := ReadIndex(ctx, w.provider, desc)
	if err != nil {
		return err
	}
	w.stack = append(w.stack, desc)
	defer func() { w.stack = w.stack[:len(w.stack)-1] }()
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
			if err := w.index(ctx, child); err != nil && !errdefs.IsNotFound(err) {
				return err
			}
		case c8dimages.IsManifestType(child.MediaType):
			if err := w.visit(child, w.stack); err != nil {
				return err
			}
		}
	}
	return nil
}
