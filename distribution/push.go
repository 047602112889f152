package distribution

import (
	"context"
	"net/http"

	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/moby/moby/api/types/registry"

	"github.com/berth-dev/berth/distribution/registryapi"
)

// PushResolver returns a resolver for pushing with auth (may be nil) and the
// tracker its pushers record every upload in (bytes sent, committed, already
// there, mounted from another repository).
//
// A push goes to the registry itself: registry-mirrors and hosts.toml
// mirrors are pull-through caches and never receive pushes, as with
// dockerd. The registry's own settings still apply: insecure-registries,
// and hosts.toml's server, CA, client certificates, skip_verify and headers.
func (r *Registries) PushResolver(ctx context.Context, auth *registry.AuthConfig, meta http.Header) (remotes.Resolver, docker.StatusTracker) {
	headers := r.requestHeaders(meta)
	tracker := docker.NewInMemoryTracker()
	return docker.NewResolver(docker.ResolverOptions{
		Hosts:   upstreamOnly(r.hosts(ctx, auth)),
		Headers: headers,
		Tracker: tracker,
	}), tracker
}

// upstreamOnly keeps the registry's own host, which containerd's host
// configuration always lists last, after any mirrors, with its existence
// checks accepting every manifest type (push_check.go).
func upstreamOnly(hosts docker.RegistryHosts) docker.RegistryHosts {
	return func(host string) ([]docker.RegistryHost, error) {
		all, err := hosts(host)
		if err != nil || len(all) == 0 {
			return all, err
		}
		return withPushExistCheck(all[len(all)-1:]), nil
	}
}

// TranslatePushError turns containerd's push errors into dockerd's: a
// registry's errors[] body becomes "error from registry: …" with its class;
// containerd's own "push access denied, …" texts are kept.
func TranslatePushError(err error) error {
	if err == nil {
		return nil
	}
	return registryapi.StatusError(err)
}
