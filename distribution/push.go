package distribution

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/containerd/v2/pkg/labels"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/registry"
)

// PushResolver returns a resolver for pushing with auth (may be nil) and the
// tracker its pushers record every upload in (bytes sent, committed, already
// there, mounted from another repository).
//
// A push goes to the registry itself: registry-mirrors and hosts.toml
// mirrors are pull-through caches and never receive pushes, as with
// dockerd. The registry's own settings still apply: insecure-registries,
// and hosts.toml's server, CA, client certificates, skip_verify and headers.
func (r *Registries) PushResolver(auth *registry.AuthConfig, meta http.Header) (remotes.Resolver, docker.StatusTracker) {
	headers := http.Header{}
	for k, v := range meta {
		headers[k] = v
	}
	if r.cfg.UserAgent != "" {
		headers.Set("User-Agent", r.cfg.UserAgent)
	}
	tracker := docker.NewInMemoryTracker()
	return docker.NewResolver(docker.ResolverOptions{
		Hosts:   upstreamOnly(r.hosts(auth)),
		Headers: headers,
		Tracker: tracker,
	}), tracker
}

// upstreamOnly keeps the registry's own host, which containerd's host
// configuration always lists last, after any mirrors.
func upstreamOnly(hosts docker.RegistryHosts) docker.RegistryHosts {
	return func(host string) ([]docker.RegistryHost, error) {
		all, err := hosts(host)
		if err != nil || len(all) == 0 {
			return all, err
		}
		return all[len(all)-1:], nil
	}
}

// TranslatePushError turns containerd's push errors into dockerd's: a
// registry's errors[] body becomes "error from registry: …" with its class;
// containerd's own "push access denied, …" texts are kept.
func TranslatePushError(err error) error {
	if err == nil {
		return nil
	}
	return translateRegistryError(err)
}

// MountSource is a repository of a registry a blob was pulled from or pushed
// to, as the distribution-source labels record it.
type MountSource struct {
	// Host is the registry host without port, as containerd records it.
	Host string
	// Repository is the path within the registry ("library/busybox").
	Repository string
}

// MountSources reads the containerd.io/distribution.source.<host> labels of
// a blob (each a comma-separated list of repositories).
func MountSources(blobLabels map[string]string) []MountSource {
	var out []MountSource
	for k, v := range blobLabels {
		host, ok := strings.CutPrefix(k, labels.LabelDistributionSource+".")
		if !ok {
			continue
		}
		for _, repo := range strings.Split(v, ",") {
			if repo != "" {
				out = append(out, MountSource{Host: host, Repository: repo})
			}
		}
	}
	return out
}

// CanMountInto reports whether a blob from src can be cross-repository
// mounted when pushing to target: only within the same registry (ports are
// not part of the label, as containerd records it).
func (src MountSource) CanMountInto(target reference.Named) bool {
	return src.Host == sourceHost(target)
}

// Label is the label that records src on a blob.
func (src MountSource) Label() (key, value string) {
	return labels.LabelDistributionSource + "." + src.Host, src.Repository
}

// sourceHost is the host part of a distribution-source label key for ref.
func sourceHost(ref reference.Named) string {
	u, err := url.Parse("dummy://" + reference.Domain(ref))
	if err != nil {
		return reference.Domain(ref)
	}
	return u.Hostname()
}
