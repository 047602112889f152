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

	"github.com/berth-dev/berth/daemon"
	"github.com/berth-dev/berth/daemon/config"
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
	var showVersion bool
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
			if err := cfg.LoadFile(configFile, flags.Changed("config-file"), flagLookup(flags)); err != nil {
				return err
			}
			return run(cfg)
		},
	}
	f := cmd.Flags()
	f.StringSliceVarP(&cfg.Hosts, "host", "H", cfg.Hosts, "Daemon socket(s) to listen on (unix:///path, or tcp://host:port without TLS)")
	f.StringVar(&cfg.DataRoot, "data-root", cfg.DataRoot, "Root directory of persistent berth state")
	f.StringVar(&configFile, "config-file", config.DefaultConfigFile, "Daemon configuration file")
	f.StringSliceVar(&cfg.InsecureRegistries, "insecure-registry", nil, "Registries (host[:port] or CIDR) reachable over plain HTTP or unverified TLS")
	f.StringSliceVar(&cfg.RegistryMirrors, "registry-mirror", nil, "Preferred Docker Hub mirror(s)")
	f.StringVar(&cfg.ContainerdAddr, "containerd", "", "Address of a running containerd (empty: embedded storage)")
	f.StringVar(&cfg.ContainerdNamespace, "containerd-namespace", cfg.ContainerdNamespace, "containerd namespace to use")
	f.StringVar(&cfg.Snapshotter, "snapshotter", cfg.Snapshotter, "Snapshotter to unpack images into (overlayfs or native; with --containerd, any it has loaded)")
	f.IntVar(&cfg.MaxConcurrentDownloads, "max-concurrent-downloads", cfg.MaxConcurrentDownloads, "Maximum concurrent layer downloads, across all pulls")
	f.IntVar(&cfg.MaxConcurrentUploads, "max-concurrent-uploads", cfg.MaxConcurrentUploads, "Maximum concurrent blob uploads, across all pushes")
	f.StringVarP(&cfg.Group, "group", "G", "", "Group for the unix socket")
	f.StringVarP(&cfg.Pidfile, "pidfile", "p", "", "Path to use for the daemon PID file")
	f.StringVarP(&cfg.LogLevel, "log-level", "l", cfg.LogLevel, `Logging level ("debug"|"info"|"warn"|"error"|"fatal")`)
	f.BoolVarP(&cfg.Debug, "debug", "D", false, "Enable debug mode")
	f.BoolVarP(&showVersion, "version", "v", false, "Print version information and quit")
	return cmd
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

func run(cfg *config.Config) error {
	level := cfg.LogLevel
	if cfg.Debug {
		level = "debug"
	}
	if err := log.SetLevel(level); err != nil {
		return fmt.Errorf("unable to parse logging level: %s", cfg.LogLevel)
	}
	if err := log.SetFormat(log.TextFormat); err != nil {
		return err
	}
	ctx := context.Background()
	d, err := daemon.New(ctx, cfg)
	if err != nil {
		return err
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	serveErr := make(chan error, 1)
	go func() { serveErr <- d.Serve() }()
	log.L.WithField("version", daemon.Version).Info("berthd is ready")

	select {
	case err := <-serveErr:
		_ = d.Shutdown(ctx)
		return err
	case sig := <-sigs:
		log.L.WithField("signal", sig).Info("shutting down")
		sctx, cancel := context.WithTimeout(ctx, shutdownTimeout)
		defer cancel()
		go func() {
			<-sigs
			log.L.Warn("second signal: exiting at once")
			cancel()
		}()
		err := d.Shutdown(sctx)
		<-serveErr
		log.L.Info("berthd stopped")
		return err
	}
}
