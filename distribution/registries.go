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
	"sync/atomic"

	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/containerd/v2/core/remotes/docker/config"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	"github.com/moby/moby/api/types/registry"
	"github.com/sirupsen/logrus"

	"github.com/berth-dev/berth/distribution/schema1"
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
	// DockerCertsDir is dockerd's certs.d (/etc/docker/certs.d), read for
	// a host HostsDir has no directory for, as podman and skopeo read it:
	// the CA (*.crt) and client certificates (*.cert, *.key) a machine's
	// dockerd trusts for that registry. Empty reads nothing.
	DockerCertsDir string
	// UserAgent is sent to registries.
	UserAgent string
	// WrapTransport, if set, wraps the HTTP transport of every registry
	// host (berthd counts the bytes for its metrics).
	WrapTransport func(http.RoundTripper) http.RoundTripper
	// TransportOptions tune the registry transport (stall timeout,
	// attempts, backoff); none means the defaults. Reconfigure adds to
	// them.
	TransportOptions []TransportOption
}

// Registries is the daemon's registry configuration at work: it builds the
// resolvers and host lists pulls use, and checks logins.
type Registries struct {
	cfg Config
	// live holds the insecure registries and mirrors, which Reconfigure
	// swaps while pulls run (see reload.go); read it through current.
	live atomic.Pointer[settings]
	// transports are shared by the pulls of hosts with default settings
	// (httpclient.go).
	transports sharedTransports
}

// New returns a Registries for cfg.
func New(cfg Config) *Registries {
	r := &Registries{cfg: cfg}
	r.Reconfigure(cfg.InsecureRegistries, cfg.Mirrors)
	return r
}

// Resolver returns a resolver that authenticates with auth (may be nil) and
// honours the host configuration. meta are extra headers (X-Meta-*). ctx is
// the request's: the host configuration logs on it. A root its registry
// does not describe is described by its bytes (typedResolver).
func (r *Registries) Resolver(ctx context.Context, auth *registry.AuthConfig, meta http.Header) remotes.Resolver {
	headers := r.requestHeaders(meta)
	// containerd 2.4 no longer asks for schema 1; ask, so such images
	// resolve and the pull can refuse or convert them itself.
	headers.Set("Accept", schema1.ResolveAccept)
	return typedResolver{docker.NewResolver(docker.ResolverOptions{
		Hosts:   r.hosts(ctx, auth),
		Headers: headers,
	})}
}

// requestHeaders are the headers of a resolver's registry requests: meta
// (X-Meta-*) and berth's User-Agent.
func (r *Registries) requestHeaders(meta http.Header) http.Header {
	headers := http.Header{}
	for k, v := range meta {
		headers[k] = v
	}
	if r.cfg.UserAgent != "" {
		headers.Set("User-Agent", r.cfg.UserAgent)
	}
	return headers
}

// Hosts is the host configuration a pull with auth uses (for code that talks
// to registries beside containerd's resolver, such as schema 1 fetches).
func (r *Registries) Hosts(ctx context.Context, auth *registry.AuthConfig) docker.RegistryHosts {
	return r.hosts(ctx, auth)
}

// hosts returns containerd's host configuration function with berth's
// settings layered in: hosts.toml first, then insecure and mirror defaults.
// It logs on ctx, the request's.
func (r *Registries) hosts(ctx context.Context, auth *registry.AuthConfig) docker.RegistryHosts {
	logCtx := quietHostsLog(ctx)
	live := r.current() // one resolver, one configuration
	return func(host string) ([]docker.RegistryHost, error) {
		cfgHost := configHost(auth, host)
		creds := credentials(auth, cfgHost)
		dir, _ := r.hostDir(host)
		opts := config.HostOptions{
			Credentials:  creds,
			HostDir:      r.hostDir,
			UpdateClient: r.updateClient(dir == "", live),
		}
		if live.isInsecure(host) {
			// Try HTTPS without verification first, then fall back to HTTP.
			opts.DefaultScheme = "http"
			opts.DefaultTLS = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the user marked it insecure
		}
		hosts, err := config.ConfigureHosts(logCtx, opts)(host)
		if err != nil {
			return nil, err
		}
		if host == "docker.io" && len(live.mirrors) > 0 && !r.hasHostsFile(host) {
			mirrors, err := live.mirrorHosts(hosts, creds)
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
		r.wrapTransports(hosts)
		return hosts, nil
	}
}

// quietHostsLog returns ctx with its logger (and fields) raised to
// warnings: containerd's host configuration logs at info level, on every
// resolve of a loopback registry, that it tries HTTPS first.
func quietHostsLog(ctx context.Context) context.Context {
	entry := log.G(ctx)
	level := min(logrus.WarnLevel, entry.Logger.GetLevel())
	if level == entry.Logger.GetLevel() {
		return ctx
	}
	quiet := logrus.New()
	quiet.SetOutput(entry.Logger.Out)
	quiet.SetFormatter(entry.Logger.Formatter)
	quiet.ReplaceHooks(entry.Logger.Hooks)
	quiet.SetLevel(level)
	return log.WithLogger(ctx, logrus.NewEntry(quiet).WithFields(entry.Data))
}

// mirrorHosts turns registry-mirrors into pull/resolve-only hosts that reuse
// the upstream's client and authorizer.
func (st *settings) mirrorHosts(upstream []docker.RegistryHost, creds func(string) (string, string, error)) ([]docker.RegistryHost, error) {
	var out []docker.RegistryHost
	for _, m := range st.mirrors {
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

// hostDir finds <HostsDir>/<host>/ (also "host_port" spelling, as
// containerd; "_default" for Docker Hub), else <DockerCertsDir>/<host>/.
func (r *Registries) hostDir(host string) (string, error) {
	for _, root := range []string{r.cfg.HostsDir, r.cfg.DockerCertsDir} {
		if dir := findHostDir(root, host); dir != "" {
			return dir, nil
		}
	}
	return "", errdefs.ErrNotFound
}

// findHostDir is hostDir in one root; "" when root has no directory for host.
func findHostDir(root, host string) string {
	if root == "" {
		return ""
	}
	for _, name := range []string{host, strings.ReplaceAll(host, ":", "_")} {
		dir := filepath.Join(root, name)
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			return dir
		}
	}
	if host == "docker.io" {
		return findHostDir(root, "_default")
	}
	return ""
}

// hasHostsFile reports whether HostsDir configures host, which then
// replaces registry-mirrors (dockerd's certs.d holds certificates only).
func (r *Registries) hasHostsFile(host string) bool {
	return findHostDir(r.cfg.HostsDir, host) != ""
}

// isInsecure reports whether host matches --insecure-registry by name or CIDR.
func (r *Registries) isInsecure(host string) bool { return r.current().isInsecure(host) }

func (st *settings) isInsecure(host string) bool {
	for _, s := range st.insecure {
		if s == host {
			return true
		}
	}
	if len(st.insecureNets) == 0 {
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
		for _, n := range st.insecureNets {
			if n.Contains(ip) {
				return true
			}
		}
	}
	return false
}
