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
	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/leases"
	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/moby/moby/api/types/events"
	"golang.org/x/sync/semaphore"

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
	// MaxConcurrentDownloads caps layer downloads across all pulls.
	MaxConcurrentDownloads int
	// Env looks up berthd's environment (os.Getenv in production), for
	// DOCKER_ENABLE_DEPRECATED_PULL_SCHEMA_1_IMAGE.
	Env func(string) string
}

// ImageService implements the image endpoints.
type ImageService struct {
	client      *client.Client
	images      c8dimages.Store
	content     content.Store
	leases      leases.Manager
	snapshotter string
	registries  *distribution.Registries
	events      EventLogger
	env         func(string) string

	// downloads is the daemon-wide cap on concurrent layer downloads.
	downloads *semaphore.Weighted
	// unpacks caps concurrent layer applies across all pulls.
	unpacks *semaphore.Weighted
	// unpackLocks make concurrent pulls unpack (and fetch) each layer once
	// (pull_unpack_lock.go).
	unpackLocks *keyedLocks
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
	return &ImageService{
		client:      cfg.Client,
		images:      cfg.Client.ImageService(),
		content:     cfg.Client.ContentStore(),
		leases:      cfg.Client.LeasesService(),
		snapshotter: cfg.Snapshotter,
		registries:  cfg.Registries,
		events:      cfg.Events,
		env:         env,
		downloads:   semaphore.NewWeighted(int64(n)),
		unpacks:     semaphore.NewWeighted(int64(max(2, runtime.NumCPU()))),
		unpackLocks: newKeyedLocks(),
	}
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
