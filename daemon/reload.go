package daemon

import (
	"encoding/json"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/containerd/log"
	"github.com/moby/moby/api/types/events"

	"github.com/berth-dev/berth/daemon/config"
	"github.com/berth-dev/berth/distribution"
)

// reloadable holds the configuration in effect, which Reload swaps whole:
// readers take one snapshot with Daemon.config and never see a half-applied
// reload.
type reloadable struct {
	live     atomic.Pointer[config.Config]
	reloadMu sync.Mutex // one reload at a time
}

// config is the configuration in effect (after any reloads).
func (d *Daemon) config() *config.Config { return d.live.Load() }

// Reload applies the options of next that dockerd reloads on SIGHUP:
// debug and log-level, max-concurrent-downloads, max-download-attempts,
// insecure-registries, registry-mirrors and labels (and
// max-concurrent-uploads, download-stall-timeout). next is a complete, validated configuration
// (defaults, flags and daemon.json); its other options take effect only at
// the next start. Running pulls keep their registry settings and share the
// resized download cap. Reload emits a daemon "reload" event whose
// attributes are the reloaded values, as dockerd's.
func (d *Daemon) Reload(next *config.Config) {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	old := d.config()
	cfg := reloadedOptions(old, next)
	if restartOnly(old, next) {
		log.L.Warn("daemon.json changes other than debug, log-level, max-concurrent-downloads, max-concurrent-uploads, max-download-attempts, download-stall-timeout, insecure-registries, registry-mirrors and labels take effect at the next start")
	}
	for _, k := range next.Ignored {
		log.L.Warn(config.IgnoredWarning(k))
	}

	d.live.Store(cfg)
	if err := log.SetLevel(cfg.EffectiveLogLevel()); err != nil {
		log.L.WithError(err).Warn("could not change the log level")
	}
	d.images.SetMaxConcurrentDownloads(cfg.MaxConcurrentDownloads)
	log.L.Debugf("Reset Max Concurrent Downloads: %d", cfg.MaxConcurrentDownloads)
	d.images.SetMaxConcurrentUploads(cfg.MaxConcurrentUploads)
	log.L.Debugf("Reset Max Concurrent Uploads: %d", cfg.MaxConcurrentUploads)
	d.registries.Reconfigure(cfg.InsecureRegistries, cfg.RegistryMirrors, transportOptions(cfg)...)
	log.L.Debugf("Reset Max Download Attempts: %d", cfg.MaxDownloadAttempts)

	d.events.Log(events.DaemonEventType, events.ActionReload, events.Actor{
		ID:         d.engineID(),
		Attributes: reloadAttributes(cfg),
	})
	if data, err := json.Marshal(cfg); err == nil {
		log.L.WithField("config", string(data)).Info("Reloaded configuration")
	}
}

// reloadedOptions is old with the reloadable options of next.
func reloadedOptions(old, next *config.Config) *config.Config {
	cfg := old.Clone()
	cfg.Debug = next.Debug
	cfg.LogLevel = next.LogLevel
	cfg.MaxConcurrentDownloads = next.MaxConcurrentDownloads
	cfg.MaxConcurrentUploads = next.MaxConcurrentUploads
	cfg.MaxDownloadAttempts = next.MaxDownloadAttempts
	cfg.DownloadStallTimeout = next.DownloadStallTimeout
	cfg.InsecureRegistries = next.InsecureRegistries
	cfg.RegistryMirrors = next.RegistryMirrors
	cfg.Labels = next.Labels
	cfg.Ignored = next.Ignored
	return cfg
}

// restartOnly reports whether next changes options a reload cannot apply.
func restartOnly(old, next *config.Config) bool {
	a, _ := json.Marshal(reloadedOptions(old, old))
	b, _ := json.Marshal(reloadedOptions(next, old))
	return string(a) != string(b)
}

// reloadAttributes are the attributes of the daemon reload event, named
// and formatted as dockerd's (lists as JSON arrays).
func reloadAttributes(cfg *config.Config) map[string]string {
	attrs := map[string]string{
		"debug":                    strconv.FormatBool(cfg.Debug),
		"max-concurrent-downloads": strconv.Itoa(cfg.MaxConcurrentDownloads),
		"max-concurrent-uploads":   strconv.Itoa(cfg.MaxConcurrentUploads),
		"max-download-attempts":    strconv.Itoa(cfg.MaxDownloadAttempts),
		"insecure-registries":      jsonList(cfg.InsecureRegistries),
		"registry-mirrors":         jsonList(cfg.RegistryMirrors),
		"labels":                   jsonList(cfg.Labels),
	}
	if name, err := os.Hostname(); err == nil && name != "" {
		attrs["name"] = name
	}
	return attrs
}

func jsonList(v []string) string {
	if v == nil {
		return "[]"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// transportOptions are the registry transport settings of cfg.
func transportOptions(cfg *config.Config) []distribution.TransportOption {
	return []distribution.TransportOption{
		distribution.WithAttempts(cfg.MaxDownloadAttempts),
		distribution.WithStallTimeout(time.Duration(cfg.DownloadStallTimeout)),
	}
}
