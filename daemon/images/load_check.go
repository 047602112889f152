package images

import (
	"context"
	"errors"
	"fmt"

	"github.com/containerd/containerd/v2/core/content"
	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/image"
)

// checkArchiveImage verifies that what an archive's index entry points at
// came with the archive: the entry itself, and for every present manifest
// (matching match) its config and layers, at their declared sizes. Index
// children that are absent, or present without all their blobs, are
// tolerated (an archive may hold some platforms only) unless strict, when a
// matching one must be there. It returns how many matching manifests are
// present.
func checkArchiveImage(ctx context.Context, cs content.Store, desc ocispec.Descriptor, match platforms.Matcher, strict bool) (int, error) {
	if err := checkBlob(ctx, cs, desc, "the archive's index"); err != nil {
		return 0, err
	}
	return checkArchiveTree(ctx, cs, desc, match, strict)
}

func checkArchiveTree(ctx context.Context, cs content.Store, desc ocispec.Descriptor, match platforms.Matcher, strict bool) (int, error) {
	switch {
	case c8dimages.IsManifestType(desc.MediaType):
		m, err := image.ReadManifest(ctx, cs, desc)
		if err != nil {
			return 0, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid image archive: manifest %s: %v", desc.Digest, err))
		}
		if err := image.CheckManifest(desc, m); err != nil {
			return 0, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid image archive: %v", err))
		}
		if err := checkBlob(ctx, cs, m.Config, "manifest "+desc.Digest.String()); err != nil {
			return 0, err
		}
		for _, l := range m.Layers {
			if c8dimages.IsNonDistributable(l.MediaType) {
				continue
			}
			if err := checkBlob(ctx, cs, l, "manifest "+desc.Digest.String()); err != nil {
				return 0, err
			}
		}
		if !manifestMatches(ctx, cs, desc, m, match) {
			return 0, nil
		}
		return 1, nil
	case c8dimages.IsIndexType(desc.MediaType):
		idx, err := image.ReadIndex(ctx, cs, desc)
		if err != nil {
			return 0, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid image archive: index %s: %v", desc.Digest, err))
		}
		found := 0
		for _, child := range idx.Manifests {
			if child.Platform != nil && !match.Match(*child.Platform) {
				continue
			}
			if _, err := cs.Info(ctx, child.Digest); errdefs.IsNotFound(err) {
				if strict && child.Platform != nil {
					return 0, fmt.Errorf("%w: manifest %s (%s) is not in the archive",
						errMissingPlatform, child.Digest, platforms.FormatAll(*child.Platform))
				}
				continue
			}
			n, err := checkArchiveTree(ctx, cs, child, match, strict)
			var missing missingBlobError
			if errors.As(err, &missing) && c8dimages.IsManifestType(child.MediaType) {
				// A platform saved without its content: containerd's
				// exporter (dockerd's and berthd's save) writes the
				// manifest of a platform not all present, and none of
				// its blobs. It is absent, as an absent manifest is.
				if strict && child.Platform != nil {
					return 0, fmt.Errorf("%w: %v", errMissingPlatform, err)
				}
				continue
			}
			if err != nil {
				return 0, err
			}
			found += n
		}
		return found, nil
	}
	return 0, nil // artifacts of other types are not checked
}

// manifestMatches reports whether a manifest is of a platform match takes:
// the one its descriptor names, else its config's.
func manifestMatches(ctx context.Context, cs content.Store, desc ocispec.Descriptor, m ocispec.Manifest, match platforms.Matcher) bool {
	if desc.Platform != nil {
		return match.Match(*desc.Platform)
	}
	cfg, err := image.ReadConfig(ctx, cs, m.Config)
	if err != nil || cfg.OS == "" {
		return match.Match(platforms.DefaultSpec()) // unknown: taken as the host's
	}
	return match.Match(platforms.Normalize(cfg.Platform))
}

// errMissingPlatform marks a requested platform whose manifest the archive
// lists but does not hold.
var errMissingPlatform = errors.New("missing platform content")

// missingBlobError is checkBlob's error for a blob the archive lacks.
type missingBlobError struct{ error }

func (e missingBlobError) Unwrap() error { return e.error }

// checkBlob verifies a referenced blob is present with its declared size.
func checkBlob(ctx context.Context, cs content.Store, desc ocispec.Descriptor, from string) error {
	info, err := cs.Info(ctx, desc.Digest)
	if errdefs.IsNotFound(err) {
		return missingBlobError{errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid image archive: %s points at blob %s, which is not in the archive", from, desc.Digest))}
	}
	if err != nil {
		return err
	}
	if desc.Size > 0 && info.Size != desc.Size {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid image archive: blob %s has %d bytes, %s says %d", desc.Digest, info.Size, from, desc.Size))
	}
	return nil
}
