package images

import (
	"context"
	"fmt"

	"github.com/containerd/containerd/v2/core/images"
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
	if _, err := s.setName(ctx, newRef.String(), src.Target, withoutNameLabels(src.Labels)); err != nil {
		return err
	}
	v, err := s.viewImage(ctx, src.Target, nil, s.newUsageCache())
	if err != nil {
		v = nil
	}
	s.logImageEvent(events.ActionTag, src.Target.Digest.String(), reference.FamiliarString(newRef), v.labels())
	return nil
}

// setName makes the record name point at target, creating it or moving it.
// An image the name pointed at before is kept as dangling when nothing else
// names it, and returned; the target's own dangling record goes away.
func (s *ImageService) setName(ctx context.Context, name string, target ocispec.Descriptor, labels map[string]string) (*images.Image, error) {
	rec := images.Image{Name: name, Target: target, Labels: labels}
	var replaced *images.Image
	if _, err := s.images.Create(ctx, rec); err != nil {
		if !errdefs.IsAlreadyExists(err) {
			return nil, err
		}
		old, err := s.images.Get(ctx, rec.Name)
		if err != nil {
			return nil, err
		}
		if _, err := s.images.Update(ctx, rec, "target", "labels"); err != nil {
			return nil, err
		}
		if old.Target.Digest != rec.Target.Digest {
			replaced = &old
			if err := s.keepAsDangling(ctx, old); err != nil {
				log.G(ctx).WithError(err).WithField("image", old.Target.Digest).Warn("failed to keep the previously named image as dangling")
			}
		}
	}
	if err := s.removeDangling(ctx, target.Digest); err != nil {
		log.G(ctx).WithError(err).Warn("failed to remove the dangling record of the named image")
	}
	return replaced, nil
}

// parseNewTag validates the new name as dockerd does: a repository without
// digest, a valid tag, and not a digest algorithm as repository name (that
// would read as an image ID).
func parseNewTag(repo, tag string) (reference.NamedTagged, error) {
	if repo == "" {
		return nil, errdefs.ErrInvalidArgument.WithMessage("repository name must have at least one component")
	}
	ref, err := reference.ParseNormalizedNamed(repo)
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("Error parsing reference: %q is not a valid repository/tag: %v", repo, err))
	}
	if _, ok := ref.(reference.Digested); ok {
		return nil, errdefs.ErrInvalidArgument.WithMessage("refusing to create a tag with a digest reference")
	}
	if tag != "" {
		if ref, err = reference.WithTag(reference.TrimNamed(ref), tag); err != nil {
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("Error parsing reference: %q is not a valid tag: %v", tag, err))
		}
	}
	tagged, ok := reference.TagNameOnly(ref).(reference.NamedTagged)
	if !ok {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("unexpected reference %q", ref.String()))
	}
	if reference.FamiliarName(tagged) == string(digest.Canonical) {
		return nil, errdefs.ErrInvalidArgument.WithMessage("refusing to create an ambiguous tag using digest algorithm as name")
	}
	return tagged, nil
}
