// Package metrics is berthd's Prometheus instrumentation, served on
// --metrics-addr as dockerd serves its own. Metrics dockerd has keep
// dockerd's names (engine_daemon_*); berthd's own are berth_*.
//
// The API is narrow: the image service brackets each action with
// StartAction/Done, registry traffic is counted by Transport, the storage
// reports garbage collections with GCRun. Every method is safe on a nil
// *Metrics, so code that is not instrumented passes nil.
package metrics

import (
	"net/http"
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// EngineInfo labels engine_daemon_engine_info, as dockerd's.
type EngineInfo struct {
	Version, Commit, Architecture, GraphDriver, Kernel, OS, OSType, OSVersion, DaemonID string
	// MemTotal is the host's memory in bytes.
	MemTotal int64
}

// Metrics is one daemon's registry of metrics.
type Metrics struct {
	reg *prometheus.Registry

	imageActions *prometheus.HistogramVec // engine_daemon_image_actions_seconds
	inFlight     *prometheus.GaugeVec
	errors       *prometheus.CounterVec
	bytes        *prometheus.CounterVec
	gcRuns       *prometheus.CounterVec
	gcSeconds    prometheus.Histogram
}

// New returns the metrics of a daemon described by info, with the Go
// runtime and process collectors dockerd also exposes.
func New(info EngineInfo) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	engine := func(name string) string { return prometheus.BuildFQName("engine", "daemon", name) }
	m.imageActions = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: engine("image_actions_seconds"),
		Help: "The number of seconds it takes to process each image action",
	}, []string{"action"})
	engineInfo := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: engine("engine_info"),
		Help: "The information related to the engine and the OS it is running on",
	}, []string{"version", "commit", "architecture", "graphdriver", "kernel", "os", "os_type", "os_version", "daemon_id"})
	engineInfo.WithLabelValues(info.Version, info.Commit, info.Architecture, info.GraphDriver, info.Kernel,
		info.OS, info.OSType, info.OSVersion, info.DaemonID).Set(1)
	cpus := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: engine("engine_cpus_cpus"), Help: "The number of cpus that the host system of the engine has",
	})
	cpus.Set(float64(runtime.NumCPU()))
	mem := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: engine("engine_memory_bytes"), Help: "The number of bytes of memory that the host system of the engine has",
	})
	mem.Set(float64(info.MemTotal))

	m.inFlight = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "berth_image_actions_in_flight", Help: "The number of image actions running now",
	}, []string{"action"})
	m.errors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "berth_image_action_errors_total", Help: "The number of image actions that failed, by error class",
	}, []string{"action", "class"})
	m.bytes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "berth_registry_bytes_total", Help: "Bytes exchanged with registries (received: pulls, sent: pushes)",
	}, []string{"direction"})
	m.gcRuns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "berth_gc_runs_total", Help: "The number of content garbage collections, by result",
	}, []string{"result"})
	m.gcSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "berth_gc_duration_seconds", Help: "The number of seconds each content garbage collection takes",
	})
	for _, a := range []string{"pull", "push"} {
		m.imageActions.WithLabelValues(a)
		m.inFlight.WithLabelValues(a)
	}
	for _, d := range []string{"received", "sent"} {
		m.bytes.WithLabelValues(d)
	}
	m.reg.MustRegister(m.imageActions, engineInfo, cpus, mem,
		m.inFlight, m.errors, m.bytes, m.gcRuns, m.gcSeconds,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	if m == nil {
		return http.NotFoundHandler()
	}
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Register adds further collectors (e.g. a gauge function) to the registry.
func (m *Metrics) Register(cs ...prometheus.Collector) {
	if m != nil {
		m.reg.MustRegister(cs...)
	}
}
