package images

import (
	"context"

	"github.com/containerd/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ImageForContainer checks that name designates a local image a container
// could run: resolved like every name (a tag-less name means :latest), with
// its content present, for platform when one is given. Otherwise it answers
// a not-found ("No such image: alpine:latest", or the platform's), on which
// the CLI's `docker run` pulls and retries.
func (s *ImageService) ImageForContainer(ctx context.Context, name string, platform *ocispec.Platform) error {
	r, err := s.resolve(ctx, name)
	if err != nil {
		return err
	}
	v, err := s.viewImage(ctx, r.image().Target, platform, s.newUsageCache())
	if err != nil {
		return err
	}
	if v.best == nil || !v.best.Available {
		if platform != nil {
			return errPlatformNotFound(name, *platform)
		}
		if r.named != nil {
			return errNoSuchImage(r.named)
		}
		return errdefs.ErrNotFound.WithMessage("No such image: " + name)
	}
	return nil
}
