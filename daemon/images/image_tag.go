package images

import (
	"context"

	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/events"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TagImage is POST /images/{name}/tag: it makes repo:tag (tag "latest" when
// empty) point at the image name designates. A tag that pointed at another
// image leaves that image dangling when nothing else names it; the target's
// own dangling record, if any, goes away.
func (s *ImageService) TagImage(ctx context.Context, name, repo, tag string) error {
	newRef, err := parseNewTag(repo, tag)
	if err != nil {
		return err
	}
	src, err := s.GetImage(ctx, name)
	if err != nil {
		return err
	}
	before, err := s.presentBlobs(ctx, src.Target)
	if err != nil {
		return err
	}
	rec := c8dimages.Image{
		Name:   newRef.String(),
		Target: src.Target,
		Labels: withoutNameLabels(src.Labels),
	}
	if _, err := s.putImage(ctx, rec); err != nil {
		return err
	}
	// Once the record exists it holds its content. An rmi of the source's
	// last name beside the tag may have had it collected just before: then
	// the new name would have nothing behind it, and it goes again.
	if err := s.checkStillPresent(ctx, before); err != nil {
		if derr := s.images.Delete(context.WithoutCancel(ctx), rec.Name); derr != nil && !errdefs.IsNotFound(derr) {
			log.G(ctx).WithError(derr).WithField("image", rec.Name).Warn("failed to remove a tag whose image went while it was made")
		}
		return errdefs.ErrNotFound.WithMessage("No such image: " + name)
	}
	s.logImageEvent(events.ActionTag, src.Target.Digest.String(), reference.FamiliarString(newRef), s.eventLabels(ctx, src.Target))
	return nil
}

// putImage creates or updates the record rec (tag, import, load). An image
// the name pointed at before stays as dangling when nothing else names it,
// and is returned; the target's own dangling record, if any, goes away
// (unless rec is that record).
func (s *ImageService) putImage(ctx context.Context, rec c8dimages.Image) (replaced *c8dimages.Image, err error) {
	old, err := s.images.Get(ctx, rec.Name)
	if err != nil && !errdefs.IsNotFound(err) {
		return nil, err
	}
	if err == nil && old.Target.Digest != rec.Target.Digest {
		replaced = &old
	}
	if _, _, err := s.storeImage(ctx, rec); err != nil {
		return nil, err
	}
	if replaced != nil {
		if err := s.keepAsDangling(ctx, old); err != nil {
			log.G(ctx).WithError(err).WithField("image", old.Target.Digest).Warn("failed to keep the previously named image as dangling")
		}
	}
	if IsDangling(rec) {
		return replaced, nil
	}
	if err := s.removeDangling(ctx, rec.Target.Digest); err != nil {
		log.G(ctx).WithError(err).Warn("failed to remove the dangling record of the named image")
	}
	return replaced, nil
}

// presentBlobs returns the digests of the blobs of target's tree that are
// present now.
func (s *ImageService) presentBlobs(ctx context.Context, target ocispec.Descriptor) ([]digest.Digest, error) {
	var present []digest.Digest
	err := s.walkPresent(ctx, target, func(_ context.Context, desc ocispec.Descriptor) error {
		present = append(present, desc.Digest)
		return nil
	})
	return present, err
}

// checkStillPresent fails with a not-found when one of the blobs is gone.
func (s *ImageService) checkStillPresent(ctx context.Context, blobs []digest.Digest) error {
	for _, d := range blobs {
		if _, err := s.content.Info(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

// parseNewTag validates the new name as dockerd does: a repository without
// digest, a valid tag, and not a digest algorithm as repository name (that
// would read as an image ID). Parse errors are the reference library's
// own, as dockerd returns them ("invalid reference format: repository name
// (library/Foo) must be lowercase").
func parseNewTag(repo, tag string) (reference.NamedTagged, error) {
	if repo == "" {
		return nil, errdefs.ErrInvalidArgument.WithMessage("repository name must have at least one component")
	}
	tagged, err := newRecordName(repo, tag)
	if err != nil {
		return nil, err
	}
	if reference.FamiliarName(tagged) == string(digest.Canonical) {
		return nil, errdefs.ErrInvalidArgument.WithMessage("refusing to create an ambiguous tag using digest algorithm as name")
	}
	return tagged, nil
}
