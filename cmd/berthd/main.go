// Command berthd is a Docker-Engine-compatible image daemon on containerd's
// libraries: point the docker CLI at its socket and pull, list, tag, inspect,
// remove and prune images.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/containerd/log"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	apiserver "github.com/berth-dev/berth/api/server"
	"github.com/berth-dev/berth/daemon"
	"github.com/berth-dev/berth/daemon/config"
	"github.com/berth-dev/berth/daemon/systemd"
)

// shutdownTimeout bounds how long in-flight requests may run after SIGTERM.
const shutdownTimeout = 15 * time.Second

func main() {
	if err := newCommand().Execute(); err != nil {
		fmt.Fprintf(os.Stderr, "berthd: %v\n", err)
		os.Exit(1)
	}
}

func newCommand() *cobra.Command {
	cfg := config.New()
	var configFile string
	var showVersion, validate bool
	cmd := &cobra.Command{
		Use:           "berthd [OPTIONS]",
		Short:         "A Docker-Engine-compatible image daemon",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if showVersion {
				fmt.Printf("berthd version %s\n", daemon.Version)
				return nil
			}
			flags := cmd.Flags()
			cfg.ConfigFile = configFile
			cfg.MinAPIVersion = os.Getenv(apiserver.MinAPIVersionEnv)
			// base is the configuration without daemon.json: a reload
			// reads the file again on top of it.
			base := cfg.Clone()
			load := func(c *config.Config) error {
				return c.LoadFile(configFile, flags.Changed("config-file"), flagLookup(flags))
			}
			if err := load(cfg); err != nil {
				return err
			}
			if validate {
				return validateOnly(cfg)
			}
			return run(cfg, func() (*config.Config, error) {
				next := base.Clone()
				if err := load(next); err != nil {
					return nil, err
				}
				return next, nil
			})
		},
	}
	f := cmd.Flags()
	f.StringSliceVarP(&cfg.Hosts, "host", "H", cfg.Hosts, "Daemon socket(s) to listen on (unix:///path, tcp://host:port or host:port, fd:// for systemd socket activation)")
	f.StringVar(&cfg.DataRoot, "data-root", cfg.DataRoot, "Root directory of persistent berth state")
	f.StringVar(&configFile, "config-file", config.DefaultConfigFile, "Daemon configuration file")
	f.StringSliceVar(&cfg.InsecureRegistries, "insecure-registry", nil, "Registries (host[:port] or CIDR) reachable over plain HTTP or unverified TLS")
	f.StringSliceVar(&cfg.RegistryMirrors, "registry-mirror", nil, "Preferred Docker Hub mirror(s)")
	f.StringVar(&cfg.ContainerdAddr, "containerd", "", "Address of a running containerd (empty: embedded storage)")
	f.StringVar(&cfg.ContainerdNamespace, "containerd-namespace", cfg.ContainerdNamespace, "containerd namespace to use")
	f.StringVar(&cfg.Snapshotter, "snapshotter", cfg.Snapshotter, "Snapshotter to unpack images into (overlayfs or native; with --containerd, any it has loaded)")
	f.IntVar(&cfg.MaxConcurrentDownloads, "max-concurrent-downloads", cfg.MaxConcurrentDownloads, "Maximum concurrent layer downloads, across all pulls")
	f.IntVar(&cfg.MaxConcurrentUploads, "max-concurrent-uploads", cfg.MaxConcurrentUploads, "Maximum concurrent blob uploads, across all pushes")
	f.IntVar(&cfg.MaxDownloadAttempts, "max-download-attempts", cfg.MaxDownloadAttempts, "Maximum download attempts for each blob request or download without progress")
	f.Var(&cfg.DownloadStallTimeout, "download-stall-timeout", "How long a download may receive nothing before it is resumed, or a registry request go unanswered before it is sent again (Go duration)")
	f.StringVarP(&cfg.Group, "group", "G", "", "Group for the unix socket")
	f.StringVarP(&cfg.Pidfile, "pidfile", "p", "", "Path to use for the daemon PID file")
	f.StringVarP(&cfg.LogLevel, "log-level", "l", cfg.LogLevel, `Logging level ("debug"|"info"|"warn"|"error"|"fatal")`)
	f.StringVar(&cfg.LogFormat, "log-format", cfg.LogFormat, `Set the logging format ("text"|"json")`)
	f.BoolVarP(&cfg.Debug, "debug", "D", false, "Enable debug mode")
	f.StringArrayVar(&cfg.Labels, "label", nil, "Set key=value labels to the daemon")
	f.StringVar(&cfg.MetricsAddress, "metrics-addr", "", "Set default address and port to serve the metrics api on")
	f.StringVar(&cfg.HTTPProxy, "http-proxy", "", "HTTP proxy URL to use for outgoing traffic")
	f.StringVar(&cfg.HTTPSProxy, "https-proxy", "", "HTTPS proxy URL to use for outgoing traffic")
	f.StringVar(&cfg.NoProxy, "no-proxy", "", "Comma-separated list of hosts or IP addresses for which the proxy is skipped")
	f.Var(config.NewOptionalBool(&cfg.TLS), "tls", "Use TLS; implied by --tlsverify")
	f.Lookup("tls").NoOptDefVal = "true"
	f.Var(config.NewOptionalBool(&cfg.TLSVerify), "tlsverify", "Use TLS and verify the remote")
	f.Lookup("tlsverify").NoOptDefVal = "true"
	f.StringVar(&cfg.TLSCACert, "tlscacert", config.DefaultTLSFile("ca.pem"), "Trust certs signed only by this CA")
	f.StringVar(&cfg.TLSCert, "tlscert", config.DefaultTLSFile("cert.pem"), "Path to TLS certificate file")
	f.StringVar(&cfg.TLSKey, "tlskey", config.DefaultTLSFile("key.pem"), "Path to TLS key file")
	f.BoolVar(&validate, "validate", false, "Validate daemon configuration and exit")
	f.BoolVarP(&showVersion, "version", "v", false, "Print version information and quit")
	return cmd
}

// validateOnly is --validate, as dockerd's: it checks the configuration
// (flags and daemon.json, the TLS files included) and says so, starting
// nothing.
func validateOnly(cfg *config.Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if _, err := cfg.ServerTLS(); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "configuration OK")
	return nil
}

// flagLookup tells the config loader which daemon.json keys a flag set.
func flagLookup(flags *pflag.FlagSet) config.FlagLookup {
	return func(name string) (string, bool) {
		fl := flags.Lookup(name)
		if fl == nil || !fl.Changed {
			return "", false
		}
		if sv, ok := fl.Value.(pflag.SliceValue); ok {
			return "[" + strings.Join(sv.GetSlice(), " ") + "]", true
		}
		return fl.Value.String(), true
	}
}

// run starts the daemon and serves until SIGTERM or SIGINT; SIGHUP reloads
// the configuration that reread returns.
func run(cfg *config.Config, reread func() (*config.Config, error)) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := log.SetLevel(cfg.EffectiveLogLevel()); err != nil {
		return fmt.Errorf("unable to parse logging level: %s", cfg.LogLevel)
	}
	if err := log.SetFormat(log.OutputFormat(cfg.LogFormat)); err != nil {
		return err
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	hups := make(chan os.Signal, 1)
	signal.Notify(hups, syscall.SIGHUP) // before start-up: an early SIGHUP waits, it does not kill
	defer signal.Stop(hups)

	log.L.Info("Starting up")
	defer log.L.Info("Daemon shutdown complete")
	for _, k := range cfg.Ignored {
		log.L.Warn(config.IgnoredWarning(k))
	}
	// As dockerd, the proxy options become the process's proxy environment
	// before anything makes a request.
	for _, kv := range cfg.ProxyEnv() {
		if old := os.Getenv(kv[0]); old != "" && old != kv[1] {
			log.L.WithField("name", kv[0]).WithField("old-value", config.MaskCredentials(old)).
				WithField("new-value", config.MaskCredentials(kv[1])).Warn("overriding existing proxy variable with value from configuration")
		}
		if err := os.Setenv(kv[0], kv[1]); err != nil {
			return err
		}
	}
	ctx := context.Background()
	d, err := daemon.New(ctx, cfg)
	if err != nil {
		return err
	}
	// The listeners are open already; as dockerd, say so after this line.
	log.L.WithField("version", daemon.Version).Info("Daemon has completed initialization")
	serveErr := make(chan error, 1)
	go func() { serveErr <- d.Serve() }()
	notify(systemd.Ready)

	for {
		select {
		case <-hups:
			reload(d, cfg.ConfigFile, reread)
		case err := <-serveErr:
			notify(systemd.Stopping)
			_ = d.Shutdown(ctx)
			return err
		case sig := <-sigs:
			log.L.Infof("Processing signal '%v'", sig)
			notify(systemd.Stopping)
			sctx, cancel := context.WithTimeout(ctx, shutdownTimeout)
			defer cancel()
			go func() {
				<-sigs
				log.L.Warn("second signal: exiting at once")
				cancel()
			}()
			err := d.Shutdown(sctx)
			<-serveErr
			return err
		}
	}
}

// reload rereads daemon.json and applies it, as dockerd on SIGHUP; a bad
// file is logged and changes nothing.
func reload(d *daemon.Daemon, configFile string, reread func() (*config.Config, error)) {
	log.L.WithField("config-file", configFile).Info("Got signal to reload configuration")
	if notify(systemd.ReloadingState()) {
		defer notify(systemd.Ready)
	}
	next, err := reread()
	if err == nil {
		if verr := next.Validate(); verr != nil {
			err = fmt.Errorf("file configuration validation failed: %w", verr)
		}
	}
	if err != nil {
		log.L.WithError(err).Error("Error reloading configuration")
		return
	}
	d.Reload(next)
}

// notify tells systemd (when it asked, via NOTIFY_SOCKET) about state.
func notify(state string) bool {
	sent, err := systemd.Notify(state)
	if err != nil {
		log.L.WithError(err).Warn("sd_notify failed")
	}
	return sent
}
