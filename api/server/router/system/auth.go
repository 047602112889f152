package system

import (
	"context"
	"net/http"

	"github.com/moby/moby/api/types/registry"

	"github.com/berth-dev/berth/api/server/httputils"
)

// AuthBackend checks registry credentials (POST /auth, `docker login`)
// against the registry they name: the daemon's registries.
type AuthBackend interface {
	Login(ctx context.Context, auth *registry.AuthConfig) error
}

func (s *systemRouter) postAuth(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	var cfg registry.AuthConfig
	if err := httputils.ReadJSON(w, r, &cfg); err != nil {
		return err
	}
	if err := s.auth.Login(ctx, &cfg); err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusOK, registry.AuthResponse{Status: "Login Succeeded"})
}
