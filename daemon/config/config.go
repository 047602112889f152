// Package config holds berthd's configuration: the flags and the daemon.json
// keys, named as dockerd names them, and their defaults.
package config

import (
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"time"

	apiserver "github.com/berth-dev/berth/api/server"
	"github.com/berth-dev/berth/daemon/storage"
)

// Defaults for a fresh daemon: the one place they are written. The
// storage's own (namespace, snapshotter) are the storage package's.
const (
	DefaultHost       = "unix:///var/run/berth.sock"
	DefaultDataRoot   = "/var/lib/berth"
	DefaultConfigFile = "/etc/berth/daemon.json"
	// DefaultContainerdNamespace is storage.DefaultNamespace.
	DefaultContainerdNamespace = storage.DefaultNamespace
	// DefaultSnapshotter is storage.DefaultSnapshotter.
	DefaultSnapshotter = storage.DefaultSnapshotter
	// DefaultMaxConcurrentDownloads is dockerd's max-concurrent-downloads.
	DefaultMaxConcurrentDownloads = 3
	DefaultMaxConcurrentUploads   = 5
	// DefaultMaxDownloadAttempts is dockerd's max-download-attempts.
	DefaultMaxDownloadAttempts = 5
	// DefaultDownloadStallTimeout is how long a layer download may
	// receive nothing before it is resumed.
	DefaultDownloadStallTimeout = Duration(30 * time.Second)
	DefaultLogLevel             = "info"
	DefaultLogFormat            = "text"
	// DefaultTCPPort is the port of a -H tcp address given without one;
	// DefaultTLSPort with TLS on, as dockerd's.
	DefaultTCPPort = "2375"
	DefaultTLSPort = "2376"
)

// Config is the daemon's configuration. The JSON names are the daemon.json
// keys; they match dockerd's where dockerd has the same setting.
type Config struct {
	Hosts                  []string `json:"hosts,omitempty"`
	DataRoot               string   `json:"data-root,omitempty"`
	InsecureRegistries     []string `json:"insecure-registries,omitempty"`
	RegistryMirrors        []string `json:"registry-mirrors,omitempty"`
	ContainerdAddr         string   `json:"containerd,omitempty"`
	ContainerdNamespace    string   `json:"containerd-namespace,omitempty"`
	Snapshotter            string   `json:"snapshotter,omitempty"`
	MaxConcurrentDownloads int      `json:"max-concurrent-downloads,omitempty"`
	MaxConcurrentUploads   int      `json:"max-concurrent-uploads,omitempty"`
	MaxDownloadAttempts    int      `json:"max-download-attempts,omitempty"`
	DownloadStallTimeout   Duration `json:"download-stall-timeout,omitempty"`
	Group                  string   `json:"group,omitempty"`
	Pidfile                string   `json:"pidfile,omitempty"`
	LogLevel               string   `json:"log-level,omitempty"`
	LogFormat              string   `json:"log-format,omitempty"`
	Debug                  bool     `json:"debug,omitempty"`
	Labels                 []string `json:"labels,omitempty"`
	MetricsAddress         string   `json:"metrics-addr,omitempty"`
	// Proxies for the daemon's requests (proxy.go); daemon.json nests
	// them under "proxies", as dockerd's.
	HTTPProxy  string `json:"http-proxy,omitempty"`
	HTTPSProxy string `json:"https-proxy,omitempty"`
	NoProxy    string `json:"no-proxy,omitempty"`
	// TLS of the TCP sockets (tls.go).
	TLS       *bool  `json:"tls,omitempty"`
	TLSVerify *bool  `json:"tlsverify,omitempty"`
	TLSCACert string `json:"tlscacert,omitempty"`
	TLSCert   string `json:"tlscert,omitempty"`
	TLSKey    string `json:"tlskey,omitempty"`

	// MinAPIVersion is the oldest Engine API version served, from
	// DOCKER_MIN_API_VERSION (not a key, as in dockerd); empty for the
	// default.
	MinAPIVersion string `json:"-"`
	// ConfigFile is where the configuration was read from (not a key).
	ConfigFile string `json:"-"`
	// Ignored are the daemon.json keys dockerd accepts and berthd does not
	// implement; LoadFile collects them so they can be logged once logging
	// is configured.
	Ignored []string `json:"-"`
}

// New returns a Config with every default filled in.
func New() *Config {
	return &Config{
		Hosts:                  []string{DefaultHost},
		DataRoot:               DefaultDataRoot,
		ContainerdNamespace:    DefaultContainerdNamespace,
		Snapshotter:            DefaultSnapshotter,
		MaxConcurrentDownloads: DefaultMaxConcurrentDownloads,
		MaxConcurrentUploads:   DefaultMaxConcurrentUploads,
		MaxDownloadAttempts:    DefaultMaxDownloadAttempts,
		DownloadStallTimeout:   DefaultDownloadStallTimeout,
		LogLevel:               DefaultLogLevel,
		LogFormat:              DefaultLogFormat,
	}
}

// Clone returns a deep copy of c (slices are not shared), so a reload can
// build its configuration without touching the one in use.
func (c *Config) Clone() *Config {
	n := *c
	n.Hosts = slices.Clone(c.Hosts)
	n.InsecureRegistries = slices.Clone(c.InsecureRegistries)
	n.RegistryMirrors = slices.Clone(c.RegistryMirrors)
	n.Labels = slices.Clone(c.Labels)
	n.Ignored = slices.Clone(c.Ignored)
	n.TLS, n.TLSVerify = cloneBool(c.TLS), cloneBool(c.TLSVerify)
	return &n
}

func cloneBool(b *bool) *bool {
	if b == nil {
		return nil
	}
	v := *b
	return &v
}

// EffectiveLogLevel is the log level in effect: "debug" with --debug, else
// log-level.
func (c *Config) EffectiveLogLevel() string {
	if c.Debug {
		return "debug"
	}
	return c.LogLevel
}

// Validate checks values that flags and the file cannot check by type.
func (c *Config) Validate() error {
	if len(c.Hosts) == 0 {
		return fmt.Errorf("no hosts to listen on: give at least one -H/--host")
	}
	for _, h := range c.Hosts {
		if _, _, err := ParseHost(h, c.TLSEnabled()); err != nil {
			return err
		}
	}
	if c.DataRoot == "" {
		return fmt.Errorf("data-root must not be empty")
	}
	if c.MinAPIVersion != "" {
		if err := apiserver.ValidateMinAPIVersion(c.MinAPIVersion); err != nil {
			return fmt.Errorf("invalid %s: %w", apiserver.MinAPIVersionEnv, err)
		}
	}
	if c.MaxConcurrentDownloads < 1 {
		return fmt.Errorf("invalid max-concurrent-downloads %d: it must be at least 1", c.MaxConcurrentDownloads)
	}
	if c.MaxConcurrentUploads < 1 {
		return fmt.Errorf("invalid max-concurrent-uploads %d: it must be at least 1", c.MaxConcurrentUploads)
	}
	if c.MaxDownloadAttempts < 1 {
		return fmt.Errorf("invalid max-download-attempts %d: it must be at least 1", c.MaxDownloadAttempts)
	}
	if c.DownloadStallTimeout <= 0 {
		return fmt.Errorf("invalid download-stall-timeout %s: it must be positive", c.DownloadStallTimeout)
	}
	// What the storage can do: overlayfs or native when embedded, any
	// snapshotter a running containerd has.
	if err := storage.CheckSnapshotter(c.ContainerdAddr, c.Snapshotter); err != nil {
		return err
	}
	for _, r := range c.InsecureRegistries {
		if err := validateInsecureRegistry(r); err != nil {
			return err
		}
	}
	for _, m := range c.RegistryMirrors {
		if !strings.HasPrefix(m, "http://") && !strings.HasPrefix(m, "https://") {
			return fmt.Errorf("invalid mirror: unsupported scheme in %q: must use either 'https://' or 'http://'", m)
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error", "fatal", "panic", "trace":
	default:
		return fmt.Errorf("unable to parse logging level: %s", c.LogLevel)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("invalid log format: %s", c.LogFormat)
	}
	for _, l := range c.Labels {
		if err := validateLabel(l); err != nil {
			return err
		}
	}
	if c.MetricsAddress != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddress); err != nil {
			return fmt.Errorf("invalid metrics-addr %q: %v", c.MetricsAddress, err)
		}
	}
	return nil
}

// validateLabel checks a daemon label as dockerd does.
func validateLabel(l string) error {
	if !strings.Contains(l, "=") {
		return fmt.Errorf("bad attribute format: %s", l)
	}
	lowered := strings.ToLower(l)
	for _, ns := range []string{"com.docker.", "io.docker.", "org.dockerproject."} {
		if strings.HasPrefix(lowered, ns) {
			return fmt.Errorf("label %s is not allowed: the namespaces com.docker.*, io.docker.*, and org.dockerproject.* are reserved for internal use", l)
		}
	}
	return nil
}

func validateInsecureRegistry(r string) error {
	if strings.Contains(r, "://") {
		return fmt.Errorf("insecure registry %s should not contain '://'", r)
	}
	if strings.Contains(r, "/") {
		if _, _, err := net.ParseCIDR(r); err != nil {
			return fmt.Errorf("insecure registry %s is not a valid CIDR: %v", r, err)
		}
		return nil
	}
	if r == "" {
		return fmt.Errorf("insecure registry must not be empty")
	}
	return nil
}

// DockerCertsDir is dockerd's per-registry certificate directory, read for
// the registries HostsDir has no directory for.
const DockerCertsDir = "/etc/docker/certs.d"

// HostsDir is where per-registry hosts.toml files live: certs.d beside the
// configuration file (dockerd uses DockerCertsDir).
func (c *Config) HostsDir() string {
	if c.ConfigFile == "" {
		return filepath.Join(filepath.Dir(DefaultConfigFile), "certs.d")
	}
	return filepath.Join(filepath.Dir(c.ConfigFile), "certs.d")
}
