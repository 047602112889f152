// Package images is berth's image service: one file per verb (pull, list,
// inspect, history, tag, delete, prune), all on a containerd client that is
// either embedded or remote — the service cannot tell which.
package images

import (
	"context"
	"runtime"
	"sync/atomic"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/leases"
	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/containerd/log"
	"github.com/moby/moby/api/types/events"
	"golang.org/x/sync/semaphore"

	"github.com/berth-dev/berth/daemon/metrics"
	"github.com/berth-dev/berth/distribution"
)

// EventLogger records daemon events.
type EventLogger interface {
	Log(t events.Type, action events.Action, actor events.Actor)
}

// Config assembles an ImageService.
type Config struct {
	Client      *client.Client
	Snapshotter string
	Registries  *distribution.Registries
	Events      EventLogger
	// MaxConcurrentDownloads caps layer downloads across all pulls; a
	// reload changes it with SetMaxConcurrentDownloads.
	MaxConcurrentDownloads int
	// Metrics records actions (nil: not instrumented).
	Metrics *metrics.Metrics
	// Env looks up berthd's environment (os.Getenv in production), for
	// DOCKER_ENABLE_DEPRECATED_PULL_SCHEMA_1_IMAGE.
	Env func(string) string
}

// ImageService implements the image endpoints.
type ImageService struct {
	client      *client.Client
	images      images.Store
	content     content.Store
	leases      leases.Manager
	snapshotter string
	registries  *distribution.Registries
	events      EventLogger
	env         func(string) string

	// downloads is the daemon-wide cap on concurrent layer downloads: the
	// semaphore of downloadLimit, which a reload resizes.
	downloads     *semaphore.Weighted
	downloadLimit *limiter
	metrics       *metrics.Metrics
	// unpacks caps concurrent layer applies across all pulls.
	unpacks *semaphore.Weighted
	// pruning is set while an image prune runs (one at a time).
	pruning atomic.Bool
}

// New returns the image service.
func New(cfg Config) *ImageService {
	n := cfg.MaxConcurrentDownloads
	if n < 1 {
		n = 3
	}
	env := cfg.Env
	if env == nil {
		env = func(string) string { return "" }
	}
	log.L.Debugf("Max Concurrent Downloads: %d", n)
	s := &ImageService{
		client:      cfg.Client,
		images:      cfg.Client.ImageService(),
		content:     cfg.Client.ContentStore(),
		leases:      cfg.Client.LeasesService(),
		snapshotter: cfg.Snapshotter,
		registries:  cfg.Registries,
		events:      cfg.Events,
		env:         env,
		unpacks:     semaphore.NewWeighted(int64(max(2, runtime.NumCPU()))),
	}
	s.downloadLimit = newLimiter(n)
	s.downloads = s.downloadLimit.Semaphore()
	s.metrics = cfg.Metrics
	return s
}

// SetMaxConcurrentDownloads changes the download cap of running and future
// pulls (a configuration reload): raising it lets waiting downloads start,
// lowering it lets running ones finish.
func (s *ImageService) SetMaxConcurrentDownloads(n int) {
	s.downloadLimit.SetLimit(n)
}

// snapshotService returns the snapshotter the service unpacks into.
func (s *ImageService) snapshotService() snapshots.Snapshotter {
	return s.client.SnapshotService(s.snapshotter)
}

// CountImages is the number of image records (for GET /info).
func (s *ImageService) CountImages(ctx context.Context) int {
	list, err := s.images.List(ctx)
	if err != nil {
		return 0
	}
	return len(list)
}
