package images

import (
	"context"

	"github.com/moby/moby/api/types/registry"
)

// AuthenticateToRegistry is POST /auth: check the credentials with the
// registry (`docker login`).
func (s *ImageService) AuthenticateToRegistry(ctx context.Context, auth *registry.AuthConfig) error {
	return s.registries.Login(ctx, auth)
}
