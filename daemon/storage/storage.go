// Package storage opens the containerd-backed image storage used by berthd.
//
// Open returns a *client.Client from containerd's client package in one of
// two modes, and nothing above this package needs to know which:
//
//   - embedded (Options.Address == ""): an in-process stack built from
//     containerd's libraries (local content store, bbolt metadata, overlayfs or
//     native snapshotter, walking differ) with berth's own applier (gzip, zstd
//     and plain layers; containerd's filesystem applier for stream processors)
//     and garbage-collection scheduler;
//   - remote (Options.Address != ""): a gRPC client of a running containerd.
//
// In both modes the client's default namespace applies to calls whose context
// carries no namespace, image and lease deletes honour the synchronous-delete
// options, and Snapshotter() names a snapshotter that exists.
//
// Durability rule: once a pull has returned, a crash must not leave a
// half-written image visible. An image is visible through its record in the
// metadata database, which refers to committed snapshots and stored blobs;
// bbolt syncs every transaction, so what a record refers to must be on disk
// before the record is. Blobs are: the content store fsyncs each one before
// committing it. Snapshots are: the embedded applier (applier.go) calls
// syncfs(2) once when a layer has been applied, before the unpacker commits
// the snapshot — one flush per layer instead of an fsync per file, and no
// more is needed, since nothing is written into a snapshot after it is
// committed (a big layer starts background syncs as it is written,
// writeback.go, so that flush finds little left). A crash before that
// leaves at most an active (uncommitted) snapshot or an ingest, which the
// next pull replaces and the GC removes.
// In remote mode containerd's own settings decide.
//
// Collection rule (embedded): a synchronous image or lease delete returns
// after one full containerd mark-and-sweep has removed, from the database
// and from disk, whatever nothing else refers to; as dockerd 29 does with
// containerd (SynchronousDelete on each record it removes), so when
// `docker rmi` returns the image's unshared blobs and snapshots are gone.
// Deletions also kick a debounced collection, skipped when a collection
// that started after them has finished, and postponed while a caller that
// will collect synchronously holds collections (HoldCollections; gc.go). The content sweep visits
// an index of the blob files instead of the directory (blobindex.go). The
// mark reads every record and every blob's labels, so its cost grows with
// the store (about 0.3 s at 10,000 images on 2 busy cores): that, not the removal, is
// what a rmi waits for.
package storage

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/identifiers"
	"github.com/containerd/log"

	"github.com/berth-dev/berth/layer/inflight"
)

const (
	// DefaultNamespace is the containerd namespace berth uses unless told
	// otherwise (dockerd's, so that both can share a containerd).
	DefaultNamespace = "moby"
	// DefaultSnapshotter is the snapshotter berth unpacks into unless told
	// otherwise.
	DefaultSnapshotter = SnapshotterOverlay
	// DefaultGCInterval is how often the embedded stack collects garbage
	// when nothing else triggers a collection.
	DefaultGCInterval = 10 * time.Minute

	// SnapshotterOverlay is the overlay snapshotter's name. containerd's
	// parallel unpack special-cases this exact name.
	SnapshotterOverlay = "overlayfs"
	// SnapshotterNative is the copy-based snapshotter that works everywhere.
	SnapshotterNative = "native"
)

// Options configure Open.
type Options struct {
	// Root is the directory for the embedded stores (the daemon passes
	// <data-root>/containerd). Required in embedded mode; unused in remote mode.
	Root string
	// Address is the socket of a running containerd; "" selects embedded mode.
	Address string
	// Namespace is the containerd namespace; "" means DefaultNamespace.
	Namespace string
	// Snapshotter is the requested snapshotter; "" means DefaultSnapshotter.
	// The embedded stack offers SnapshotterOverlay and SnapshotterNative, a
	// running containerd any snapshotter it has loaded (see
	// CheckSnapshotter). If overlayfs is not usable the storage falls back
	// to native and logs a warning.
	Snapshotter string
	// GCInterval is the period of the embedded garbage collector;
	// 0 means DefaultGCInterval.
	GCInterval time.Duration
	// DialTimeout bounds how long remote mode waits for containerd to answer;
	// 0 means 5 seconds.
	DialTimeout time.Duration
	// Logger receives storage logs; nil means log.G(ctx) of Open's context.
	Logger *log.Entry
	// OnGC, if set, is told of every embedded garbage collection (metrics).
	OnGC func(d time.Duration, err error)
}

// Storage owns a containerd client and, in embedded mode, the stack behind it.
type Storage struct {
	client      *client.Client
	namespace   string
	snapshotter string
	address     string
	log         *log.Entry

	// embedded mode only; nil in remote mode.
	emb *embedded

	closeOnce sync.Once
	closeErr  error
}

// Open opens the storage described by opts.
func Open(ctx context.Context, opts Options) (*Storage, error) {
	if opts.Namespace == "" {
		opts.Namespace = DefaultNamespace
	}
	if err := identifiers.Validate(opts.Namespace); err != nil {
		return nil, fmt.Errorf("storage: invalid namespace %q: %w", opts.Namespace, err)
	}
	if opts.Snapshotter == "" {
		opts.Snapshotter = DefaultSnapshotter
	}
	if err := CheckSnapshotter(opts.Address, opts.Snapshotter); err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	if opts.GCInterval <= 0 {
		opts.GCInterval = DefaultGCInterval
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = log.G(ctx)
	}
	opts.Logger = opts.Logger.WithField("module", "storage")

	if opts.Address != "" {
		return openRemote(ctx, opts)
	}
	if opts.Root == "" {
		return nil, errors.New("storage: Options.Root is required in embedded mode")
	}
	return openEmbedded(ctx, opts)
}

// CheckSnapshotter reports whether a storage at address ("" = embedded) can
// be asked for the named snapshotter: the embedded stack has overlayfs and
// native; a running containerd may have any snapshotter (Open checks that
// it is loaded). The daemon's configuration is validated with it.
func CheckSnapshotter(address, name string) error {
	if name == "" {
		return errors.New("snapshotter must not be empty")
	}
	if address != "" {
		if err := identifiers.Validate(name); err != nil {
			return fmt.Errorf("invalid snapshotter %q: %w", name, err)
		}
		return nil
	}
	switch name {
	case SnapshotterOverlay, SnapshotterNative:
		return nil
	}
	return fmt.Errorf("unsupported snapshotter %q: the embedded store supports %s and %s",
		name, SnapshotterOverlay, SnapshotterNative)
}

// Client returns the containerd client. Its default namespace is Namespace();
// a namespace set on a call's context takes precedence.
func (s *Storage) Client() *client.Client { return s.client }

// Snapshotter returns the effective snapshotter name (after any fallback
// from overlayfs to native). Always pass it explicitly (client.WithPullSnapshotter,
// Image.Unpack, ...).
func (s *Storage) Snapshotter() string { return s.snapshotter }

// Namespace returns the containerd namespace in use.
func (s *Storage) Namespace() string { return s.namespace }

// Embedded reports whether the storage runs the in-process stack.
func (s *Storage) Embedded() bool { return s.emb != nil }

// Inflight returns the table of blobs being downloaded whose layers the
// applier may read while they are written: embedded mode only, nil in
// remote mode (containerd applies from its own store there).
func (s *Storage) Inflight() *inflight.Table {
	if s.emb == nil {
		return nil
	}
	return s.emb.inflight
}

// Address returns the containerd socket in remote mode, "" when embedded.
func (s *Storage) Address() string { return s.address }

// CollectGarbage runs a garbage collection now and waits for it.
//
// Embedded: a full metadata GC (content blobs and snapshots are removed from
// disk before it returns). Remote: containerd's GC scheduler is not reachable
// over the API, so a throw-away lease is created and deleted with
// leases.SynchronousDelete, which makes containerd run a collection and wait
// for it before answering.
func (s *Storage) CollectGarbage(ctx context.Context) error {
	if s.emb != nil {
		return s.emb.gc.collect(ctx)
	}
	return remoteCollect(ctx, s.client, s.namespace)
}

// HoldCollections postpones the debounced collections that deletions
// kick until release is called, for a caller about to delete several
// records and then collect synchronously (embedded; a no-op in remote
// mode). Release must be called.
func (s *Storage) HoldCollections() (release func()) {
	if s.emb == nil {
		return func() {}
	}
	return s.emb.gc.hold()
}

// Generations returns two counters of the embedded metadata: writes grows
// after every write transaction (records, content, leases, snapshots),
// removals after every transaction that deleted something and after every
// garbage collection (which removes what nothing refers to, never an image
// record, and so does not count as a write). While a counter read before a
// lookup is unchanged, what the lookup found still holds: writes for
// anything (the image records, what was missing), removals for what was
// found present (blobs, snapshots). Each counter moves once per transaction,
// after it committed and before the call that made it returns. ok is
// false in remote mode, where other clients change containerd unseen:
// nothing may be cached there.
func (s *Storage) Generations() (writes, removals uint64, ok bool) {
	if s.emb == nil {
		return 0, 0, false
	}
	return s.emb.gc.writes.Load(), s.emb.gc.removals.Load(), true
}

// Close stops the garbage collector and closes the client and, in embedded
// mode, the snapshotters and the metadata database. Calling it again returns
// the first result.
func (s *Storage) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.doClose() })
	return s.closeErr
}

func (s *Storage) doClose() error {
	var errs []error
	if s.emb != nil {
		s.emb.gc.stop()
	}
	if err := s.client.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close containerd client: %w", err))
	}
	if s.emb != nil {
		if err := s.emb.close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
