// Package images is berth's image service: one file per verb (pull, push,
// list, inspect, history, tag, delete, prune, import, save, load, disk
// usage), all on a containerd client that is either embedded or remote —
// the service cannot tell which.
package images

import (
	"context"
	"github.com/berth-dev/berth/daemon/storage"
	"runtime"
	"sync/atomic"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/content"
	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/leases"
	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/containerd/log"
	"github.com/moby/moby/api/types/events"
	"golang.org/x/sync/semaphore"

	"github.com/berth-dev/berth/daemon/config"
	"github.com/berth-dev/berth/daemon/metrics"
	"github.com/berth-dev/berth/distribution"
	"github.com/berth-dev/berth/layer/inflight"
)

// Storage is where images live (daemon/storage.Storage, embedded or
// remote: the service cannot tell which).
type Storage interface {
	// Client is the containerd client.
	Client() *client.Client
	// Snapshotter is the snapshotter to unpack into.
	Snapshotter() string
	// CollectGarbage runs a garbage collection now and waits for it.
	CollectGarbage(ctx context.Context) error
	// HoldCollections postpones background collections until release,
	// while several records are removed before a synchronous one.
	HoldCollections() (release func())
	// Inflight is the table through which layers are applied while their
	// blobs download; nil when the storage cannot (a remote containerd).
	Inflight() *inflight.Table
	// Generations are the metadata's write and removal counters (ok false
	// when changes can happen unseen: then nothing is cached).
	Generations() (writes, removals uint64, ok bool)
	// RecordChanges are the image record changes after record generation
	// from, and the record generation now (ok false: list them all).
	RecordChanges(from uint64) (changes []storage.RecordChange, now uint64, ok bool)
	// RecordGeneration counts the image record writes (ok false when
	// records can change unseen).
	RecordGeneration() (uint64, bool)
	// SnapshotGeneration counts the snapshots created (ok false when
	// snapshots can appear unseen).
	SnapshotGeneration() (uint64, bool)
}

// EventLogger records daemon events.
type EventLogger interface {
	Log(t events.Type, action events.Action, actor events.Actor)
}

// Config assembles an ImageService.
type Config struct {
	Storage    Storage
	Registries *distribution.Registries
	Events     EventLogger
	// MaxConcurrentDownloads caps layer downloads across all pulls;
	// 0 means config.DefaultMaxConcurrentDownloads.
	MaxConcurrentDownloads int
	// MaxConcurrentUploads caps blob uploads across all pushes.
	MaxConcurrentUploads int
	// Metrics records actions (nil: not instrumented).
	Metrics *metrics.Metrics
	// Env looks up berthd's environment (os.Getenv in production), for
	// DOCKER_ENABLE_DEPRECATED_PULL_SCHEMA_1_IMAGE.
	Env func(string) string
}

// ImageService implements the image endpoints.
type ImageService struct {
	storage     Storage
	client      *client.Client
	images      c8dimages.Store
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
	// uploads is the daemon-wide cap on concurrent blob uploads: the
	// semaphore of uploadLimit, which a reload resizes.
	uploads     *semaphore.Weighted
	uploadLimit *limiter
	metrics     *metrics.Metrics
	// unpacks caps concurrent layer applies across all pulls: their CPU
	// part (decompress, hash, untar; the syncfs after it is outside the
	// slot, pull_unpack.go). Twice the cores, as untar's writes wait on
	// the disk too: on 2 cores, 4 slots against 2 gave usr:gz 4.00 s
	// against 4.26 s and synth:gz 1.06 s against 1.25 s (hack/bench).
	unpacks *semaphore.Weighted
	// unpackLocks make concurrent pulls unpack (and fetch) each layer once
	// (pull_unpack_lock.go).
	unpackLocks *keyedLocks
	// flights are the pulls other pulls of the same image follow
	// (pull_join.go).
	flights *pullFlights
	// inflight, when not nil, lets layers be applied while downloading
	// (pull_stream.go).
	inflight *inflight.Table
	// pruning is set while an image prune runs (one at a time).
	pruning atomic.Bool
	// caches keep what listing many images reads (meta_cache.go).
	caches *metaCaches
	// held are the blobs in the leases the service made (lease_held.go).
	held *heldBlobs
}

// New returns the image service.
func New(cfg Config) *ImageService {
	n := cfg.MaxConcurrentDownloads
	if n < 1 {
		n = config.DefaultMaxConcurrentDownloads
	}
	up := cfg.MaxConcurrentUploads
	if up < 1 {
		up = config.DefaultMaxConcurrentUploads
	}
	env := cfg.Env
	if env == nil {
		env = func(string) string { return "" }
	}
	log.L.Debugf("Max Concurrent Downloads: %d", n)
	c := cfg.Storage.Client()
	s := &ImageService{
		storage:     cfg.Storage,
		client:      c,
		images:      c.ImageService(),
		content:     c.ContentStore(),
		leases:      c.LeasesService(),
		snapshotter: cfg.Storage.Snapshotter(),
		registries:  cfg.Registries,
		events:      cfg.Events,
		env:         env,
		unpacks:     semaphore.NewWeighted(int64(max(4, 2*runtime.NumCPU()))),
		unpackLocks: newKeyedLocks(),
		flights:     newPullFlights(),
		inflight:    cfg.Storage.Inflight(),
		caches:      newMetaCaches(),
		held:        newHeldBlobs(),
	}
	s.downloadLimit = newLimiter(n)
	s.downloads = s.downloadLimit.Semaphore()
	s.uploadLimit = newLimiter(up)
	s.uploads = s.uploadLimit.Semaphore()
	s.metrics = cfg.Metrics
	return s
}

// SetMaxConcurrentDownloads changes the download cap of running and future
// pulls (a configuration reload): raising it lets waiting downloads start,
// lowering it lets running ones finish.
func (s *ImageService) SetMaxConcurrentDownloads(n int) {
	s.downloadLimit.SetLimit(n)
}

// SetMaxConcurrentUploads changes the upload cap of running and future
// pushes, as SetMaxConcurrentDownloads does for pulls.
func (s *ImageService) SetMaxConcurrentUploads(n int) {
	s.uploadLimit.SetLimit(n)
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
