package images

import (
	"context"

	"github.com/containerd/containerd/v2/core/content"
	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/leases"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
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

// leasingStore is the content store as a push reads it: every blob joins
// the context's lease before it is read, so once read it stays until the
// push ends.
type leasingStore struct {
	content.Store
	leases leases.Manager
}

func (s *ImageService) leasingStore() content.Store {
	return leasingStore{Store: s.content, leases: s.leases}
}

func (l leasingStore) hold(ctx context.Context, d digest.Digest) error {
	id, ok := leases.FromContext(ctx)
	if !ok {
		return nil
	}
	return l.leases.AddResource(ctx, leases.Lease{ID: id}, leases.Resource{ID: d.String(), Type: "content"})
}

func (l leasingStore) Info(ctx context.Context, d digest.Digest) (content.Info, error) {
	if err := l.hold(ctx, d); err != nil {
		return content.Info{}, err
	}
	return l.Store.Info(ctx, d)
}

func (l leasingStore) ReaderAt(ctx context.Context, desc ocispec.Descriptor) (content.ReaderAt, error) {
	if err := l.hold(ctx, desc.Digest); err != nil {
		return nil, err
	}
	return l.Store.ReaderAt(ctx, desc)
}
