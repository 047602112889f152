package daemon

import (
	"cmp"
	"context"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	ctdversion "github.com/containerd/containerd/v2/version"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/api/types/system"
	"golang.org/x/sys/unix"

	apiserver "github.com/berth-dev/berth/api/server"
	"github.com/berth-dev/berth/daemon/config"
)

// SystemVersion answers GET /version.
func (d *Daemon) SystemVersion(ctx context.Context) system.VersionResponse {
	kernel := kernelVersion()
	minAPI := cmp.Or(d.config().MinAPIVersion, apiserver.DefaultMinAPIVersion)
	components := []system.ComponentVersion{{
		Name:    "Engine",
		Version: Version,
		Details: map[string]string{
			"ApiVersion":    apiserver.MaxAPIVersion,
			"MinAPIVersion": minAPI,
			"Os":            runtime.GOOS,
			"Arch":          runtime.GOARCH,
			"GoVersion":     runtime.Version(),
			"KernelVersion": kernel,
			"GitCommit":     GitCommit,
			"BuildTime":     BuildTime,
			"Experimental":  Experimental,
		},
	}}
	if d.storage.Embedded() {
		// containerd's libraries are part of berthd.
		components = append(components, system.ComponentVersion{
			Name: "containerd", Version: strings.TrimSuffix(ctdversion.Version, "+unknown"), Details: map[string]string{"Mode": "embedded"},
		})
	} else if v, err := d.storage.Client().Version(ctx); err == nil {
		components = append(components, system.ComponentVersion{
			Name: "containerd", Version: v.Version, Details: map[string]string{"GitCommit": v.Revision},
		})
	}
	return system.VersionResponse{
		Platform:      system.PlatformInfo{Name: "berth"},
		Version:       Version,
		APIVersion:    apiserver.MaxAPIVersion,
		MinAPIVersion: minAPI,
		Os:            runtime.GOOS,
		Arch:          runtime.GOARCH,
		Components:    components,
		GoVersion:     runtime.Version(),
		KernelVersion: kernel,
		GitCommit:     GitCommit,
		BuildTime:     BuildTime,
		Experimental:  Experimental == "true",
	}
}

// SystemInfo answers GET /info with a valid SystemInfo for `docker info`.
func (d *Daemon) SystemInfo(ctx context.Context) (*system.Info, error) {
	cfg := d.config()
	hostname, _ := os.Hostname()
	mode := "embedded"
	if !d.storage.Embedded() {
		mode = "containerd " + d.storage.Address()
	}
	info := &system.Info{
		ID:                 d.engineID(),
		Images:             d.images.CountImages(ctx),
		Driver:             d.storage.Snapshotter(),
		DriverStatus:       [][2]string{{"driver-type", "io.containerd.snapshotter.v1"}, {"Storage", mode}},
		NEventsListener:    d.events.SubscriberCount(),
		NGoroutines:        runtime.NumGoroutine(),
		SystemTime:         time.Now().Format(time.RFC3339Nano),
		LoggingDriver:      "none",
		CgroupDriver:       "none",
		KernelVersion:      kernelVersion(),
		OperatingSystem:    osName(),
		OSVersion:          osRelease("VERSION_ID"),
		OSType:             runtime.GOOS,
		Architecture:       arch(),
		IndexServerAddress: "https://index.docker.io/v1/",
		RegistryConfig:     registryConfig(cfg),
		NCPU:               runtime.NumCPU(),
		MemTotal:           memTotal(),
		DockerRootDir:      d.cfg.DataRoot,
		HTTPProxy:          config.MaskCredentials(config.ProxySetting("HTTP_PROXY", "http_proxy")),
		HTTPSProxy:         config.MaskCredentials(config.ProxySetting("HTTPS_PROXY", "https_proxy")),
		NoProxy:            config.ProxySetting("NO_PROXY", "no_proxy"),
		Name:               hostname,
		Labels:             append([]string{}, cfg.Labels...),
		Debug:              cfg.Debug,
		ServerVersion:      Version,
		Runtimes:           map[string]system.RuntimeWithStatus{},
		SecurityOptions:    securityOptions(),
		CDISpecDirs:        []string{},
		Plugins:            system.PluginsInfo{Volume: []string{}, Network: []string{}, Authorization: []string{}, Log: []string{}},
		GenericResources:   []swarm.GenericResource{},
		Swarm:              swarm.Info{LocalNodeState: swarm.LocalNodeStateInactive},
		NFd:                openFDs(),
		Warnings:           append([]string{"berthd is an image daemon: containers are not supported yet"}, apiWarnings(cfg.Hosts)...),
	}
	info.Containerd = &system.ContainerdInfo{Address: d.storage.Address()}
	info.Containerd.Namespaces.Containers = d.storage.Namespace()
	info.Containerd.Namespaces.Plugins = "plugins.moby"
	return info, nil
}

// engineID is the daemon's ID in /info and on daemon events (engine_id.go).
func (d *Daemon) engineID() string { return d.id }

// registryConfig is the registry part of /info as dockerd shows it: the
// user's insecure CIDRs then the loopback ones dockerd always adds, insecure
// hostnames as index configs, mirrors normalised to "scheme://host/".
func registryConfig(c *config.Config) *registry.ServiceConfig {
	mirrors := make([]string, 0, len(c.RegistryMirrors))
	for _, m := range c.RegistryMirrors {
		mirrors = append(mirrors, normalizeMirror(m))
	}
	cfg := &registry.ServiceConfig{
		IndexConfigs: map[string]*registry.IndexInfo{
			"docker.io": {Name: "docker.io", Mirrors: mirrors, Secure: true, Official: true},
		},
		Mirrors:               append([]string{}, mirrors...),
		InsecureRegistryCIDRs: []netip.Prefix{},
	}
	for _, r := range c.InsecureRegistries {
		if p, err := netip.ParsePrefix(r); err == nil {
			cfg.InsecureRegistryCIDRs = append(cfg.InsecureRegistryCIDRs, p)
			continue
		}
		cfg.IndexConfigs[r] = &registry.IndexInfo{Name: r, Mirrors: []string{}, Secure: false}
	}
	for _, p := range []string{"::1/128", "127.0.0.0/8"} {
		if pfx := netip.MustParsePrefix(p); !slices.Contains(cfg.InsecureRegistryCIDRs, pfx) {
			cfg.InsecureRegistryCIDRs = append(cfg.InsecureRegistryCIDRs, pfx)
		}
	}
	return cfg
}

// memTotal is the host's memory in bytes.
func memTotal() int64 {
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) != nil {
		return 0
	}
	return int64(si.Totalram) * int64(si.Unit)
}

func kernelVersion() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}

func arch() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return runtime.GOARCH
	}
	return unix.ByteSliceToString(u.Machine[:])
}

// osName reads PRETTY_NAME from /etc/os-release.
func osName() string {
	if v := osRelease("PRETTY_NAME"); v != "" {
		return v
	}
	return runtime.GOOS
}

// osRelease reads one key of /etc/os-release ("" when absent).
func osRelease(key string) string {
	data, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, key+"="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}
