package images

import (
	"context"

	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/events"
	"github.com/opencontainers/go-digest"
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
	// The source's content is leased until the new record names it: an
	// rmi of the source's last name beside the tag could otherwise collect
	// it in between, and the tag would name an image with nothing behind it.
	ctx, release, err := s.startOperationLease(ctx, "tag")
	if err != nil {
		return err
	}
	defer release(false)
	src, err := s.hold(ctx, name, func() (c8dimages.Image, error) { return s.GetImage(ctx, name) })
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
