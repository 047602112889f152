package images

import (
	"context"
	"errors"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/registry"
)

// DistributionInspect is GET /distribution/{name}/json: what name (a tag,
// "latest" when none, or repository@digest) designates in its registry.
func (s *ImageService) DistributionInspect(ctx context.Context, name string, auth *registry.AuthConfig) (registry.DistributionInspect, error) {
	parsed, err := reference.ParseAnyReference(name)
	if err != nil {
		return registry.DistributionInspect{}, errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	ref, ok := parsed.(reference.Named)
	if !ok {
		if _, isDigest := parsed.(reference.Digested); isDigest {
			// dockerd's words and status (500) for a bare image ID.
			return registry.DistributionInspect{}, errors.New("no manifest found for full image ID")
		}
		return registry.DistributionInspect{}, errdefs.ErrInvalidArgument.WithMessage("unknown image reference format: " + name)
	}
	return s.registries.Inspect(ctx, auth, ref)
}
