// Package daemon assembles berthd: storage, the image service, the event
// log, the API server and its listeners, and their orderly shutdown.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"

	"github.com/containerd/log"

	apiserver "github.com/berth-dev/berth/api/server"
	"github.com/berth-dev/berth/api/server/router/container"
	"github.com/berth-dev/berth/api/server/router/debug"
	distributionrouter "github.com/berth-dev/berth/api/server/router/distribution"
	imagerouter "github.com/berth-dev/berth/api/server/router/image"
	"github.com/berth-dev/berth/api/server/router/system"
	"github.com/berth-dev/berth/api/server/router/unsupported"
	"github.com/berth-dev/berth/daemon/config"
	"github.com/berth-dev/berth/daemon/events"
	"github.com/berth-dev/berth/daemon/images"
	"github.com/berth-dev/berth/daemon/metrics"
	"github.com/berth-dev/berth/daemon/storage"
	"github.com/berth-dev/berth/distribution"
)

// Daemon is a running berthd.
type Daemon struct {
	cfg        *config.Config
	lock       *os.File
	storage    *storage.Storage
	registries *distribution.Registries
	images     *images.ImageService
	events     *events.Log
	server     *apiserver.Server
	listeners  []net.Listener
	sockets    []string
	id         string // the engine ID (engine_id.go)

	reloadable    // the configuration in effect (reload.go)
	metrics       *metrics.Metrics
	metricsServer *http.Server
}

// New prepares a daemon from cfg: it locks the data root, opens the storage
// and the listeners. Serve starts answering.
func New(ctx context.Context, cfg *config.Config) (_ *Daemon, retErr error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	tlsCfg, err := cfg.ServerTLS() // its files are read before anything starts
	if err != nil {
		return nil, err
	}
	if err := storage.MakePrivateDir(cfg.DataRoot, storage.DataRootMode); err != nil {
		return nil, fmt.Errorf("failed to create data root %s: %w", cfg.DataRoot, err)
	}
	id, err := loadOrCreateEngineID(cfg.DataRoot)
	if err != nil {
		return nil, err
	}
	d := &Daemon{cfg: cfg, events: events.New(0), id: id}
	d.live.Store(cfg)
	d.metrics = d.newMetrics()
	defer func() {
		if retErr != nil {
			d.close()
		}
	}()
	lock, err := lockDataRoot(cfg.DataRoot)
	if err != nil {
		return nil, err
	}
	d.lock = lock
	if err := writePidfile(cfg.Pidfile); err != nil {
		return nil, err
	}
	st, err := storage.Open(ctx, storage.Options{
		Root:        filepath.Join(cfg.DataRoot, "containerd"),
		Address:     cfg.ContainerdAddr,
		Namespace:   cfg.ContainerdNamespace,
		Snapshotter: cfg.Snapshotter,
		OnGC:        d.metrics.GCRun,
	})
	if err != nil {
		return nil, err
	}
	d.storage = st
	d.registries = distribution.New(distribution.Config{
		InsecureRegistries: cfg.InsecureRegistries,
		Mirrors:            cfg.RegistryMirrors,
		HostsDir:           cfg.HostsDir(),
		DockerCertsDir:     config.DockerCertsDir,
		UserAgent:          "berth/" + Version,
		WrapTransport:      d.metrics.Transport,
		TransportOptions:   transportOptions(cfg),
	})
	d.images = images.New(images.Config{
		Storage:                st,
		Registries:             d.registries,
		Events:                 d.events,
		MaxConcurrentDownloads: cfg.MaxConcurrentDownloads,
		MaxConcurrentUploads:   cfg.MaxConcurrentUploads,
		Metrics:                d.metrics,
		Env:                    os.Getenv,
	})
	if err := d.images.RemoveStalePullLeases(ctx); err != nil {
		log.G(ctx).WithError(err).Warn("failed to remove the leases of interrupted pulls")
	}
	d.server = apiserver.New(apiserver.Config{Version: Version, MinAPIVersion: cfg.MinAPIVersion},
		system.NewRouter(d, d.events, d.registries),
		imagerouter.NewRouter(d.images),
		distributionrouter.NewRouter(d.images),
		container.NewRouter(d.images),
		unsupported.NewRouter(d.events),
		debug.NewRouter(func() bool { return d.config().Debug }),
	)
	ls, sockets, err := listen(cfg.Hosts, cfg.Group, tlsCfg)
	if err != nil {
		return nil, err
	}
	d.listeners, d.sockets = ls, sockets
	if d.metricsServer, err = d.serveMetrics(cfg.MetricsAddress); err != nil {
		return nil, err
	}
	return d, nil
}

// Serve answers API requests on every listener until Shutdown.
func (d *Daemon) Serve() error {
	errCh := make(chan error, len(d.listeners))
	var wg sync.WaitGroup
	for _, l := range d.listeners {
		wg.Add(1)
		go func(l net.Listener) {
			defer wg.Done()
			log.L.Infof("API listen on %s", l.Addr())
			errCh <- d.server.Serve(l)
		}(l)
	}
	wg.Wait()
	close(errCh)
	var errs []error
	for err := range errCh {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Shutdown stops accepting requests, lets in-flight ones finish until ctx
// ends, then closes the storage and removes the sockets.
func (d *Daemon) Shutdown(ctx context.Context) error {
	d.events.Close()
	err := d.server.Shutdown(ctx)
	if err != nil {
		log.L.WithError(err).Warn("in-flight requests did not finish in time; closing them")
	}
	d.close()
	return nil
}

func (d *Daemon) close() {
	if d.metricsServer != nil {
		_ = d.metricsServer.Close()
	}
	for _, s := range d.sockets {
		_ = os.Remove(s)
	}
	if d.storage != nil {
		if err := d.storage.Close(); err != nil {
			log.L.WithError(err).Warn("closing storage")
		}
	}
	if d.cfg.Pidfile != "" && d.lock != nil {
		_ = os.Remove(d.cfg.Pidfile)
	}
	if d.lock != nil {
		d.lock.Close()
	}
}
