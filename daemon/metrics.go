package daemon

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"time"

	"github.com/containerd/log"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/berth-dev/berth/daemon/metrics"
)

// newMetrics describes this daemon for engine_daemon_engine_info and adds
// the gauges read from the daemon itself.
func (d *Daemon) newMetrics() *metrics.Metrics {
	cfg := d.config()
	m := metrics.New(metrics.EngineInfo{
		Version:      Version,
		Architecture: arch(),
		GraphDriver:  cfg.Snapshotter,
		Kernel:       kernelVersion(),
		OS:           osName(),
		OSType:       runtime.GOOS,
		DaemonID:     d.engineID(),
		MemTotal:     memTotal(),
	})
	m.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "engine_daemon_events_subscribers_total",
		Help: "The number of current subscribers to events",
	}, func() float64 { return float64(d.events.SubscriberCount()) }))
	return m
}

// serveMetrics listens on --metrics-addr and serves /metrics there, as
// dockerd does; it returns the server to shut down.
func (d *Daemon) serveMetrics(addr string) (*http.Server, error) {
	if addr == "" {
		return nil, nil
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("failed to start metrics server: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", d.metrics.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 30 * time.Second}
	log.L.Infof("metrics API listening on %s", l.Addr())
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.L.WithError(err).Error("error serving metrics API")
		}
	}()
	return srv, nil
}
