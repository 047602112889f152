package distribution

import (
	"context"
	"errors"
	"fmt"

	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/registry"
)

// Login checks credentials against a registry's /v2/ endpoint, through the
// same hosts, TLS settings and authorizer as a pull, as `docker login` does
// with dockerd.
func (r *Registries) Login(ctx context.Context, auth *registry.AuthConfig) error {
	host := authHost(auth)
	if host == "" {
		host = hubHost
	}
	hosts, err := r.hosts(auth)(host)
	if err != nil {
		return err
	}
	var lastErr error = errdefs.ErrNotFound.WithMessage("no registry endpoint for " + host)
	for _, h := range hosts {
		if h.Capabilities&docker.HostCapabilityResolve == 0 {
			continue
		}
		target := fmt.Sprintf("%s://%s%s/", h.Scheme, h.Host, h.Path)
		resp, err := doAuthorized(ctx, h, target)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if errors.Is(err, docker.ErrInvalidAuthorization) || errdefs.IsUnauthorized(err) || errdefs.IsPermissionDenied(err) {
			return errdefs.ErrUnauthenticated.WithMessage(fmt.Sprintf("login attempt to %s failed with status: 401 Unauthorized", target))
		}
		lastErr = err
	}
	return lastErr
}
