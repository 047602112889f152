// Package config holds berthd's configuration: the flags and the daemon.json
// keys, named as dockerd names them, and their defaults.
package config

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"

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
	DefaultLogLevel               = "info"
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
	Group                  string   `json:"group,omitempty"`
	Pidfile                string   `json:"pidfile,omitempty"`
	LogLevel               string   `json:"log-level,omitempty"`
	Debug                  bool     `json:"debug,omitempty"`

	// ConfigFile is where the configuration was read from (not a key).
	ConfigFile string `json:"-"`
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
		LogLevel:               DefaultLogLevel,
	}
}

// Validate checks values that flags and the file cannot check by type.
func (c *Config) Validate() error {
	if len(c.Hosts) == 0 {
		return fmt.Errorf("no hosts to listen on: give at least one -H/--host")
	}
	for _, h := range c.Hosts {
		if _, _, err := ParseHost(h); err != nil {
			return err
		}
	}
	if c.DataRoot == "" {
		return fmt.Errorf("data-root must not be empty")
	}
	if c.MaxConcurrentDownloads < 1 {
		return fmt.Errorf("invalid max-concurrent-downloads %d: it must be at least 1", c.MaxConcurrentDownloads)
	}
	if c.MaxConcurrentUploads < 1 {
		return fmt.Errorf("invalid max-concurrent-uploads %d: it must be at least 1", c.MaxConcurrentUploads)
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
	return nil
}

// ParseHost splits a -H value into a network and an address. Only unix://
// and tcp:// are supported; a bare path is taken as a unix socket.
func ParseHost(h string) (network, addr string, err error) {
	switch {
	case strings.HasPrefix(h, "unix://"):
		addr = strings.TrimPrefix(h, "unix://")
		if addr == "" {
			return "", "", fmt.Errorf("invalid host %q: empty socket path", h)
		}
		return "unix", addr, nil
	case strings.HasPrefix(h, "tcp://"):
		addr = strings.TrimPrefix(h, "tcp://")
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return "", "", fmt.Errorf("invalid host %q: %v", h, err)
		}
		return "tcp", addr, nil
	case strings.HasPrefix(h, "/"):
		return "unix", h, nil
	default:
		return "", "", fmt.Errorf("invalid host %q: only unix:// and tcp:// are supported", h)
	}
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

// HostsDir is where per-registry hosts.toml files live: certs.d beside the
// configuration file (dockerd uses /etc/docker/certs.d).
func (c *Config) HostsDir() string {
	if c.ConfigFile == "" {
		return filepath.Join(filepath.Dir(DefaultConfigFile), "certs.d")
	}
	return filepath.Join(filepath.Dir(c.ConfigFile), "certs.d")
}
