package images

import (
	"context"

	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// walkPresent calls fn for target and every descriptor below it that is in
// the content store; what is missing (and what only it refers to) is
// skipped.
func (s *ImageService) walkPresent(ctx context.Context, target ocispec.Descriptor, fn func(context.Context, ocispec.Descriptor) error) error {
	return c8dimages.Walk(ctx, c8dimages.HandlerFunc(func(ctx context.Context, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
		if _, err := s.content.Info(ctx, desc.Digest); err != nil {
			if errdefs.IsNotFound(err) {
				return nil, c8dimages.ErrSkipDesc
			}
			return nil, err
		}
		if err := fn(ctx, desc); err != nil {
			return nil, err
		}
		children, err := c8dimages.Children(ctx, s.content, desc)
		if errdefs.IsNotFound(err) {
			return nil, nil
		}
		return children, err
	}), target)
}
