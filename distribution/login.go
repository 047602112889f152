package distribution

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/containerd/containerd/v2/core/remotes/docker"
	remoteerrors "github.com/containerd/containerd/v2/core/remotes/errors"
	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/registry"

	"github.com/berth-dev/berth/distribution/registryapi"
)

// Login checks credentials against a registry's /v2/ endpoint, through the
// same hosts, TLS settings and authorizer as a pull, as `docker login` does
// with dockerd.
func (r *Registries) Login(ctx context.Context, auth *registry.AuthConfig) error {
	host := authHost(auth)
	if host == "" {
		host = hubHost
	}
	hosts, err := r.hosts(ctx, auth)(host)
	if err != nil {
		return err
	}
	none := errdefs.ErrNotFound.WithMessage("no registry endpoint for " + host)
	return registryapi.OnHosts(hosts, docker.HostCapabilityResolve, none, func(h docker.RegistryHost) error {
		resp, err := registryapi.Do(ctx, h, registryapi.Request{Path: "/"})
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if lerr := loginError(err, registryapi.Endpoint(err)); lerr != nil {
			return registryapi.Final(lerr)
		}
		return err
	})
}

// loginError turns a refused login into dockerd's messages: the token
// server's own words when it refused the credentials (`Get "<endpoint>":
// unauthorized: incorrect username or password`), else "login attempt to
// <endpoint> failed with status: 401 Unauthorized". Other errors give nil.
func loginError(err error, endpoint string) error {
	var unexpected remoteerrors.ErrUnexpectedStatus
	if errors.As(err, &unexpected) && unexpected.RequestURL != endpoint &&
		(unexpected.StatusCode == http.StatusUnauthorized || unexpected.StatusCode == http.StatusForbidden) {
		// The token endpoint refused: say what it said.
		if derrs := registryapi.DecodeErrors(unexpected.Body); len(derrs) > 0 {
			msgs := make([]string, 0, len(derrs))
			for _, e := range derrs {
				msgs = append(msgs, e.Error())
			}
			return errdefs.ErrUnauthenticated.WithMessage(fmt.Sprintf("Get %q: %s", endpoint, strings.Join(msgs, ", ")))
		}
		if details := registryapi.LegacyDetails(unexpected.Body); details != "" {
			return errdefs.ErrUnauthenticated.WithMessage(fmt.Sprintf("Get %q: %s", endpoint, details))
		}
	}
	status := http.StatusUnauthorized
	switch {
	case errdefs.IsPermissionDenied(err):
		status = http.StatusForbidden
	case errors.Is(err, docker.ErrInvalidAuthorization), errdefs.IsUnauthorized(err):
	default:
		return nil
	}
	return errdefs.ErrUnauthenticated.WithMessage(fmt.Sprintf("login attempt to %s failed with status: %d %s", endpoint, status, http.StatusText(status)))
}
