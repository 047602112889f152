package images

import (
	"context"
	"fmt"
	"strings"

	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
)

// errNoSuchImage is dockerd's not-found error for a name or ID.
func errNoSuchImage(name string) error {
	return errdefs.ErrNotFound.WithMessage("No such image: " + name)
}

// GetImage finds the image record a user-supplied name means: a full or
// "sha256:"-prefixed ID, a unique ID prefix, name:tag, name@digest, or a
// familiar name (alpine = docker.io/library/alpine:latest). Every endpoint
// resolves names here.
func (s *ImageService) GetImage(ctx context.Context, name string) (images.Image, error) {
	if name == "" {
		return images.Image{}, errdefs.ErrInvalidArgument.WithMessage("image name cannot be blank")
	}
	// A full digest ID.
	if dgst, err := digest.Parse(name); err == nil {
		return s.imageByDigest(ctx, name, dgst)
	}
	if isHexID(name) && len(name) == 64 {
		return s.imageByDigest(ctx, name, digest.NewDigestFromEncoded(digest.SHA256, name))
	}
	ref, refErr := reference.ParseAnyReference(name)
	if refErr == nil {
		if named, ok := ref.(reference.Named); ok {
			named = reference.TagNameOnly(named)
			img, err := s.images.Get(ctx, named.String())
			if err == nil {
				return img, nil
			}
			if !errdefs.IsNotFound(err) {
				return images.Image{}, err
			}
			// name@digest where the image is stored under another tag of
			// the same repository.
			if canonical, ok := named.(reference.Canonical); ok {
				if img, err := s.imageByRepoDigest(ctx, canonical); err == nil {
					return img, nil
				}
			}
		} else if d, ok := ref.(reference.Digested); ok {
			return s.imageByDigest(ctx, name, d.Digest())
		}
	}
	// A short ID prefix.
	prefix := strings.TrimPrefix(name, "sha256:")
	if isHexID(prefix) && len(prefix) >= 1 && len(prefix) < 64 {
		return s.imageByPrefix(ctx, name, prefix)
	}
	if refErr != nil {
		return images.Image{}, errdefs.ErrInvalidArgument.WithMessage(refErr.Error())
	}
	return images.Image{}, errNoSuchImage(name)
}

// imageByDigest returns an image whose target is dgst, preferring a named
// one over a dangling record.
func (s *ImageService) imageByDigest(ctx context.Context, name string, dgst digest.Digest) (images.Image, error) {
	list, err := s.images.List(ctx, "target.digest=="+dgst.String())
	if err != nil {
		return images.Image{}, err
	}
	if len(list) == 0 {
		return images.Image{}, errNoSuchImage(name)
	}
	return preferNamed(list), nil
}

func (s *ImageService) imageByRepoDigest(ctx context.Context, ref reference.Canonical) (images.Image, error) {
	list, err := s.images.List(ctx, "target.digest=="+ref.Digest().String())
	if err != nil {
		return images.Image{}, err
	}
	for _, img := range list {
		if named, err := reference.ParseNamed(img.Name); err == nil && named.Name() == ref.Name() {
			return img, nil
		}
	}
	return images.Image{}, errNoSuchImage(ref.String())
}

func (s *ImageService) imageByPrefix(ctx context.Context, name, prefix string) (images.Image, error) {
	list, err := s.images.List(ctx, fmt.Sprintf(`target.digest~=^sha256:%s[0-9a-f]*$`, prefix))
	if err != nil {
		return images.Image{}, err
	}
	if len(list) == 0 {
		return images.Image{}, errNoSuchImage(name)
	}
	first := list[0].Target.Digest
	for _, img := range list[1:] {
		if img.Target.Digest != first {
			return images.Image{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("ambiguous image ID prefix %q matches more than one image", name))
		}
	}
	return preferNamed(list), nil
}

// preferNamed picks a non-dangling record when there is one.
func preferNamed(list []images.Image) images.Image {
	for _, img := range list {
		if !IsDangling(img) {
			return img
		}
	}
	return list[0]
}

func isHexID(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
