package distribution

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/containerd/containerd/v2/core/remotes/docker"
	remoteerrors "github.com/containerd/containerd/v2/core/remotes/errors"
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
	hosts, err := r.hosts(ctx, auth)(host)
	if err != nil {
		return err
	}
	var lastErr error = errdefs.ErrNotFound.WithMessage("no registry endpoint for " + host)
	for _, h := range hosts {
		if h.Capabilities&docker.HostCapabilityResolve == 0 {
			continue
		}
		target := fmt.Sprintf("%s://%s%s/", h.Scheme, h.Host, h.Path)
		resp, endpoint, err := doAuthorizedURL(ctx, h, target)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if lerr := loginError(err, endpoint); lerr != nil {
			return lerr
		}
		lastErr = err
	}
	return lastErr
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
		var derrs docker.Errors
		if json.Unmarshal(unexpected.Body, &derrs) == nil && len(derrs) > 0 {
			msgs := make([]string, 0, len(derrs))
			for _, e := range derrs {
				msgs = append(msgs, e.Error())
			}
			return errdefs.ErrUnauthenticated.WithMessage(fmt.Sprintf("Get %q: %s", endpoint, strings.Join(msgs, ", ")))
		}
		var legacy struct {
			Details string `json:"details"`
		}
		if json.Unmarshal(unexpected.Body, &legacy) == nil && legacy.Details != "" {
			return errdefs.ErrUnauthenticated.WithMessage(fmt.Sprintf("Get %q: %s", endpoint, legacy.Details))
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
