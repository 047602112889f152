package images

import (
	"context"

	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
)

// What a push reads must stay while it runs, whatever removals and prunes
// run beside it: the push's lease holds the image's content from before
// the push reads any of it, and every blob the push reads afterwards (a
// platform pulled meanwhile, the manifest picked when part of an index is
// missing) joins the lease before it is read.

// holdAttempts bounds how often holdImage retries when the name is moved
// to another image while its content is being leased.
const holdAttempts = 3

// holdImage returns the image ref names with its present content added to
// the context's lease. The name is looked up again after leasing: only an
// image that still had the name then is held (the one found first may have
// been removed, and its content collected, before the lease covered it).
// A save holds its images the same way (export_hold.go).
func (s *ImageService) holdImage(ctx context.Context, ref reference.Named) (c8dimages.Image, error) {
	var img c8dimages.Image
	for range holdAttempts {
		first, err := s.images.Get(ctx, ref.String())
		if err != nil {
			return img, pushNotFound(ref, err)
		}
		if err := s.leaseImageContent(ctx, first); err != nil {
			return img, err
		}
		if img, err = s.images.Get(ctx, ref.String()); err != nil {
			return img, pushNotFound(ref, err)
		}
		if img.Target.Digest == first.Target.Digest {
			return img, nil
		}
	}
	return img, errdefs.ErrConflict.WithMessage("tag " + reference.FamiliarString(ref) + " changed while the push started; push again")
}

// pushNotFound is dockerd's message for a push of a name that does not
// exist.
func pushNotFound(ref reference.Named, err error) error {
	if errdefs.IsNotFound(err) {
		return errdefs.ErrNotFound.WithMessage("tag does not exist: " + reference.FamiliarString(ref))
	}
	return err
}
