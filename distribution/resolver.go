// Package distribution is berth's registry side: host configuration
// (insecure registries, mirrors, hosts.toml), credentials, tag listing,
// schema 1 and the translation of registry errors to dockerd's messages.
package distribution

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/containerd/v2/core/remotes/docker/config"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	"github.com/moby/moby/api/types/registry"

	"github.com/berth-dev/berth/distribution/schema1"
	"github.com/sirupsen/logrus"
)

// Config is the daemon's registry configuration.
type Config struct {
	// InsecureRegistries are host[:port] names or CIDRs that may be reached
	// over plain HTTP or with unverified TLS.
	InsecureRegistries []string
	// Mirrors are pull-through mirrors for docker.io (dockerd's
	// registry-mirrors), tried in order before Docker Hub.
	Mirrors []string
	// HostsDir holds containerd-style <host>/hosts.toml files (mirrors,
	// capabilities, CA, skip_verify, headers); re-read on every pull.
	HostsDir string
	// UserAgent is sent to registries.
	UserAgent string
	// TransportOptions tune the registry transport (stall timeout,
	// attempts, backoff); none means the defaults.
	TransportOptions []TransportOption
}

// Registries builds resolvers for pulls.
type Registries struct {
	cfg      Config
	insecure []*net.IPNet
	// hostsLogCtx carries a logger that drops containerd's informational
	// line about trying HTTPS first, logged on every resolve of a
	// loopback registry; warnings and errors still show.
	hostsLogCtx context.Context
}

// New returns a Registries for cfg.
func New(cfg Config) *Registries {
	quiet := logrus.New()
	quiet.SetOutput(log.L.Logger.Out)
	quiet.SetFormatter(log.L.Logger.Formatter)
	quiet.SetLevel(min(logrus.WarnLevel, log.L.Logger.GetLevel()))
	r := &Registries{cfg: cfg, hostsLogCtx: log.WithLogger(context.Background(), logrus.NewEntry(quiet))}
	for _, s := range cfg.InsecureRegistries {
		if _, n, err := net.ParseCIDR(s); err == nil {
			r.insecure = append(r.insecure, n)
		}
	}
	return r
}

// Resolver returns a resolver that authenticates with auth (may be nil) and
// honours the host configuration. meta are extra headers (X-Meta-*).
func (r *Registries) Resolver(auth *registry.AuthConfig, meta http.Header) remotes.Resolver {
	headers := http.Header{}
	for k, v := range meta {
		headers[k] = v
	}
	if r.cfg.UserAgent != "" {
		headers.Set("User-Agent", r.cfg.UserAgent)
	}
	// containerd 2.4 no longer asks for schema 1; ask, so such images
	// resolve and the pull can refuse or convert them itself.
	headers.Set("Accept", schema1.ResolveAccept)
	return docker.NewResolver(docker.ResolverOptions{
		Hosts:   r.hosts(auth),
		Headers: headers,
	})
}

// Hosts is the host configuration a pull with auth uses (for code that talks
// to registries beside containerd's resolver, such as schema 1 fetches).
func (r *Registries) Hosts(auth *registry.AuthConfig) docker.RegistryHosts {
	return r.hosts(auth)
}

// hosts returns containerd's host configuration function with berth's
// settings layered in: hosts.toml first, then insecure and mirror defaults.
func (r *Registries) hosts(auth *registry.AuthConfig) docker.RegistryHosts {
	return func(host string) ([]docker.RegistryHost, error) {
		cfgHost := configHost(auth, host)
		creds := credentials(auth, cfgHost)
		opts := config.HostOptions{
			Credentials:  creds,
			HostDir:      r.hostDir,
			UpdateClient: r.updateClient,
		}
		if r.isInsecure(host) {
			// Try HTTPS without verification first, then fall back to HTTP.
			opts.DefaultScheme = "http"
			opts.DefaultTLS = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the user marked it insecure
		}
		hosts, err := config.ConfigureHosts(r.hostsLogCtx, opts)(host)
		if err != nil {
			return nil, err
		}
		if host == "docker.io" && len(r.cfg.Mirrors) > 0 && !r.hasHostsFile(host) {
			mirrors, err := r.mirrorHosts(hosts, creds)
			if err != nil {
				return nil, err
			}
			hosts = append(mirrors, hosts...)
		}
		if auth != nil && auth.RegistryToken != "" {
			// A registry token replaces the challenge dance on its host.
			for i := range hosts {
				if normalizeHost(hosts[i].Host) == cfgHost {
					hosts[i].Authorizer = bearerAuthorizer{host: cfgHost, token: auth.RegistryToken}
				}
			}
		}
		return hosts, nil
	}
}

// mirrorHosts turns registry-mirrors into pull/resolve-only hosts that reuse
// the upstream's client and authorizer.
func (r *Registries) mirrorHosts(upstream []docker.RegistryHost, creds func(string) (string, string, error)) ([]docker.RegistryHost, error) {
	var out []docker.RegistryHost
	for _, m := range r.cfg.Mirrors {
		scheme, rest, _ := strings.Cut(m, "://")
		host, path, _ := strings.Cut(strings.TrimSuffix(rest, "/"), "/")
		h := docker.RegistryHost{
			Host:         host,
			Scheme:       scheme,
			Path:         "/" + strings.TrimPrefix(filepath.Join(path, "v2"), "/"),
			Capabilities: docker.HostCapabilityPull | docker.HostCapabilityResolve,
			Authorizer:   docker.NewDockerAuthorizer(docker.WithAuthCreds(creds)),
			Client:       http.DefaultClient,
		}
		if len(upstream) > 0 {
			h.Client = upstream[len(upstream)-1].Client
		}
		out = append(out, h)
	}
	return out, nil
}

// hostDir finds <HostsDir>/<host>/ (also "host_port" spelling, as containerd).
func (r *Registries) hostDir(host string) (string, error) {
	if r.cfg.HostsDir == "" {
		return "", errdefs.ErrNotFound
	}
	for _, name := range []string{host, strings.ReplaceAll(host, ":", "_")} {
		dir := filepath.Join(r.cfg.HostsDir, name)
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			return dir, nil
		}
	}
	if host == "docker.io" {
		return r.hostDir("_default")
	}
	return "", errdefs.ErrNotFound
}

func (r *Registries) hasHostsFile(host string) bool {
	dir, err := r.hostDir(host)
	return err == nil && dir != ""
}

// isInsecure reports whether host matches --insecure-registry by name or CIDR.
func (r *Registries) isInsecure(host string) bool {
	for _, s := range r.cfg.InsecureRegistries {
		if s == host {
			return true
		}
	}
	if len(r.insecure) == 0 {
		return false
	}
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	ips := []net.IP{net.ParseIP(name)}
	if ips[0] == nil {
		addrs, err := net.LookupIP(name)
		if err != nil {
			return false
		}
		ips = addrs
	}
	for _, ip := range ips {
		for _, n := range r.insecure {
			if n.Contains(ip) {
				return true
			}
		}
	}
	return false
}
