package storage

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/leases"
	"github.com/containerd/containerd/v2/core/metadata"
	"github.com/containerd/containerd/v2/pkg/gc"
	"github.com/containerd/log"
)

// gcDebounce is how long the scheduler waits after the first deletion before
// collecting, so that a burst of deletions costs one collection.
const gcDebounce = 250 * time.Millisecond

// errGCStopped is returned by collect once the storage is closed.
var errGCStopped = errors.New("storage: garbage collector stopped (storage closed)")

// gcScheduler replaces containerd's unexported GC scheduler plugin for the
// embedded stack. Mutations that leave the metadata dirty (deletions) kick a
// debounced collection; a ticker collects periodically so that expired
// leases go away even without deletions; collect runs one synchronously.
type gcScheduler struct {
	db       *metadata.DB
	interval time.Duration
	delay    time.Duration
	log      *log.Entry
	onGC     func(time.Duration, error) // may be nil

	kick chan struct{}
	quit chan struct{}
	done chan struct{}

	// mu guards stopped; collections hold it for reading so that stop
	// waits for in-flight collections before the database is closed.
	mu      sync.RWMutex
	stopped bool
	started bool // set by start, before the loop runs
	once    sync.Once

	// writes counts successful write transactions; removals counts those
	// that left deletions to collect, and collections (which remove what
	// expired leases held, but never write). See Storage.Generations.
	writes, removals atomic.Uint64

	// dirty counts the write transactions that left deletions to collect;
	// covered is the highest count a finished collection had seen before
	// it started, so everything up to it has been collected. A collection
	// kicked by deletions is skipped when covered has caught up (a
	// synchronous delete's collection already did the work), so it does not
	// run a second full mark-and-sweep that the next write waits behind.
	dirty, covered atomic.Uint64
	// serial orders collections (the metadata DB would anyway), so that a
	// kicked one sees covered as left by the one before it.
	serial sync.Mutex
	// holds counts callers that will collect synchronously after several
	// deletions (hold): the debounced collection waits for them.
	holds atomic.Int64
}

// hold postpones debounced collections until release is called: a caller
// that removes many records and then collects synchronously does not have
// a full collection run (and its own removals queue behind it) halfway.
func (g *gcScheduler) hold() (release func()) {
	g.holds.Add(1)
	var once sync.Once
	return func() { once.Do(func() { g.holds.Add(-1) }) }
}

func newGCScheduler(db *metadata.DB, interval time.Duration, logger *log.Entry) *gcScheduler {
	return &gcScheduler{
		db:       db,
		interval: interval,
		delay:    gcDebounce,
		log:      logger.WithField("component", "gc"),
		kick:     make(chan struct{}, 1),
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
	}
}

// start registers the mutation callback and starts the loop. What a
// previous run left has been collected by reconcile just before.
func (g *gcScheduler) start() {
	g.db.RegisterMutationCallback(g.mutated)
	g.started = true
	go g.run()
}

// mutated is called by the metadata DB after every successful write
// transaction, while the DB's GC lock is held for reading: it must never
// block or collect itself (that would deadlock).
func (g *gcScheduler) mutated(dirty bool) {
	g.writes.Add(1)
	if dirty {
		g.removals.Add(1)
		g.dirty.Add(1)
		g.trigger()
	}
}

func (g *gcScheduler) trigger() {
	select {
	case g.kick <- struct{}{}:
	default: // a collection is already pending
	}
}

func (g *gcScheduler) run() {
	defer close(g.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	ticker := time.NewTicker(g.interval)
	defer ticker.Stop()
	var (
		debounce  *time.Timer
		debounceC <-chan time.Time
	)
	defer func() {
		if debounce != nil {
			debounce.Stop()
		}
	}()

	for {
		select {
		case <-g.quit:
			return
		case <-g.kick:
			// Coalesce: the first kick arms the timer, later ones ride along.
			// The timer is not pushed back, so a steady stream of deletions
			// cannot starve collection.
			if debounceC == nil {
				debounce = time.NewTimer(g.delay)
				debounceC = debounce.C
			}
		case <-debounceC:
			if g.holds.Load() > 0 {
				debounce.Reset(g.delay) // a synchronous collection is coming
				continue
			}
			debounceC = nil
			if err := g.collectDirty(ctx); err != nil && !errors.Is(err, errGCStopped) && ctx.Err() == nil {
				g.log.WithError(err).WithField("reason", "deletion").Warn("garbage collection failed")
			}
		case <-ticker.C:
			g.collectInBackground(ctx, "interval")
		}
	}
}

func (g *gcScheduler) collectInBackground(ctx context.Context, reason string) {
	if err := g.collect(ctx); err != nil && !errors.Is(err, errGCStopped) && ctx.Err() == nil {
		g.log.WithError(err).WithField("reason", reason).Warn("garbage collection failed")
	}
}

// collectDirty collects unless every deletion so far has been collected
// by a collection that started after it.
func (g *gcScheduler) collectDirty(ctx context.Context) error {
	return g.doCollect(ctx, true)
}

// collect runs a full garbage collection and returns once unreferenced
// content and snapshots have been removed from disk.
func (g *gcScheduler) collect(ctx context.Context) error {
	return g.doCollect(ctx, false)
}

func (g *gcScheduler) doCollect(ctx context.Context, onlyDirty bool) error {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.stopped {
		return errGCStopped
	}
	g.serial.Lock()
	defer g.serial.Unlock()
	// Every deletion counted here has committed (the callback runs after
	// the commit), so the mark below, which excludes writers, sees it.
	seen := g.dirty.Load()
	if onlyDirty && seen <= g.covered.Load() {
		g.log.Debug("garbage collection skipped: deletions already collected")
		return nil
	}
	// Before the collection too: presence found while it runs is not kept
	// past it (a blob seen present now may be removed by it).
	g.removals.Add(1)
	start := time.Now()
	stats, err := g.db.GarbageCollect(ctx)
	if err == nil {
		g.covered.Store(max(g.covered.Load(), seen))
	}
	// After the collection: whatever it removed is gone before a reader
	// can see the new count. A collection only removes (never an image
	// record), so it does not move writes; one that removed no blob and no
	// snapshot (only a lease, say: containerd cleans the content store and
	// the snapshotters only when it removed some) needs no second move.
	if removedData(stats, err) {
		g.removals.Add(1)
	}
	if g.onGC != nil {
		g.onGC(time.Since(start), err)
	}
	if err != nil {
		return fmt.Errorf("garbage collection: %w", err)
	}
	entry := g.log.WithField("d", time.Since(start))
	if st, ok := stats.(metadata.GCStats); ok {
		entry = entry.WithField("meta", st.MetaD).WithField("content", st.ContentD)
	}
	entry.Debug("garbage collected")
	return nil
}

// stop ends the loop and waits for running collections. Idempotent.
func (g *gcScheduler) stop() {
	g.once.Do(func() {
		close(g.quit)
		if g.started {
			<-g.done
		}
		g.mu.Lock()
		g.stopped = true
		g.mu.Unlock()
	})
}

// syncImageStore makes images.SynchronousDelete() effective in embedded
// mode: containerd honours it in its images service, the metadata store
// ignores it. A synchronous delete returns only after a collection has
// removed whatever the image alone referenced.
type syncImageStore struct {
	images.Store
	gc *gcScheduler
}

func (s syncImageStore) Delete(ctx context.Context, name string, opts ...images.DeleteOpt) error {
	var do images.DeleteOptions
	for _, o := range opts {
		if err := o(ctx, &do); err != nil {
			return err
		}
	}
	if err := s.Store.Delete(ctx, name, opts...); err != nil {
		return err
	}
	if do.Synchronous {
		return s.gc.collect(ctx)
	}
	return nil
}

// syncLeaseManager does the same for leases.SynchronousDelete.
type syncLeaseManager struct {
	leases.Manager
	gc *gcScheduler
	db *metadata.DB // for AddResources (lease_batch.go)
}

func (m syncLeaseManager) Delete(ctx context.Context, l leases.Lease, opts ...leases.DeleteOpt) error {
	var do leases.DeleteOptions
	for _, o := range opts {
		if err := o(ctx, &do); err != nil {
			return err
		}
	}
	if err := m.Manager.Delete(ctx, l, opts...); err != nil {
		return err
	}
	if do.Synchronous {
		return m.gc.collect(ctx)
	}
	return nil
}

// removedData reports whether a collection may have removed blobs or
// snapshots: it ran containerd's content or snapshotter cleanup (or failed,
// or said nothing).
func removedData(stats gc.Stats, err error) bool {
	st, ok := stats.(metadata.GCStats)
	return err != nil || !ok || st.ContentD > 0 || len(st.SnapshotD) > 0
}
