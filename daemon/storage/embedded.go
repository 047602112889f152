package storage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/diff"
	"github.com/containerd/containerd/v2/core/diff/apply"
	"github.com/containerd/containerd/v2/core/metadata"
	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/containerd/containerd/v2/defaults"
	"github.com/containerd/containerd/v2/plugins/content/local"
	"github.com/containerd/containerd/v2/plugins/diff/walking"
	"github.com/containerd/errdefs"
	bolt "go.etcd.io/bbolt"

	"github.com/berth-dev/berth/layer/gunzip"
	"github.com/berth-dev/berth/layer/inflight"
	bolterrors "go.etcd.io/bbolt/errors"
)

// boltOpenTimeout bounds the wait for meta.db's file lock, so that a second
// process on the same root fails with a clear error instead of hanging.
const boltOpenTimeout = time.Second

// Layout under Options.Root.
const (
	metaDBFile   = "meta.db"
	contentDir   = "content"   // blobs/sha256/<hex>, ingest/
	snapshotsDir = "snapshots" // one directory per snapshotter name
)

// embedded is the in-process stack behind an embedded Storage.
type embedded struct {
	bdb          *bolt.DB
	mdb          *metadata.DB
	gc           *gcScheduler
	snapshotters map[string]snapshots.Snapshotter // the raw ones, closed on close
	inflight     *inflight.Table                  // layers applied while downloading
	// records journals the image record writes, snapshotsMade counts the
	// snapshots created (changes.go).
	records       *recordJournal
	snapshotsMade *atomic.Uint64
}

// diffService pairs the walking differ with berth's applier (see
// applier.go), like containerd's "walking" diff plugin.
type diffService struct {
	diff.Comparer
	diff.Applier
}

func openEmbedded(ctx context.Context, opts Options) (_ *Storage, retErr error) {
	logger := opts.Logger.WithField("mode", "embedded")
	root, err := filepath.Abs(opts.Root)
	if err != nil {
		return nil, fmt.Errorf("storage: root %q: %w", opts.Root, err)
	}
	if err := MakePrivateDir(root, rootMode); err != nil {
		return nil, fmt.Errorf("storage: create root: %w", err)
	}

	// The metadata database comes first: its lock is what keeps a second
	// process away from everything else under root.
	bdb, err := openBolt(filepath.Join(root, metaDBFile), root)
	if err != nil {
		return nil, err
	}
	emb := &embedded{bdb: bdb}
	defer func() {
		if retErr != nil {
			if err := emb.close(); err != nil {
				logger.WithError(err).Warn("cleanup after failed open")
			}
		}
	}()

	if err := setupTempMounts(filepath.Join(root, tempMountsDir), logger); err != nil {
		return nil, err
	}

	cs, err := local.NewStore(filepath.Join(root, contentDir))
	if err != nil {
		return nil, fmt.Errorf("storage: content store: %w", err)
	}
	// Collections sweep the blob files from an index, not the directory.
	cs = newBlobIndex(cs, filepath.Join(root, contentDir))
	// Writers of blobs a pull expects are followed, so their layers can be
	// applied while they download (see layer/inflight).
	emb.inflight = inflight.NewTable()
	cs = emb.inflight.WrapStore(cs, filepath.Join(root, contentDir))

	effective, sns, roots, err := openSnapshotters(filepath.Join(root, snapshotsDir), opts.Snapshotter, logger)
	if err != nil {
		return nil, err
	}
	emb.snapshotters = sns

	mdb := metadata.NewDB(bdb, cs, sns)
	if err := mdb.Init(ctx); err != nil {
		return nil, fmt.Errorf("storage: initialise metadata: %w", err)
	}
	emb.mdb = mdb
	emb.gc = newGCScheduler(mdb, opts.GCInterval, logger)
	emb.gc.onGC = opts.OnGC

	emb.records, emb.snapshotsMade = &recordJournal{}, &atomic.Uint64{}
	ns := nsCtx(opts.Namespace)
	mcs := mdb.ContentStore() // namespaced and lease-aware; never hand out cs itself
	clientSnapshotters := make(map[string]snapshots.Snapshotter, len(sns))
	for name := range sns {
		clientSnapshotters[name] = nsSnapshotter{ns: ns, s: countingSnapshotter{Snapshotter: mdb.Snapshotter(name), created: emb.snapshotsMade}}
	}
	gz := gunzip.New(gunzip.WithLogger(logger))
	written := newWriteBack(filepath.Join(root, snapshotsDir))
	differ := diffService{
		Comparer: walking.NewWalkingDiff(mcs),
		Applier:  newApplier(emb.inflight, emb.inflight.Provider(mcs), gz, apply.NewFileSystemApplier(emb.inflight.Provider(mcs)), written),
	}

	c, err := client.New("",
		client.WithDefaultNamespace(opts.Namespace),
		client.WithServices(
			client.WithContentStore(nsContentStore{ns: ns, s: mcs}),
			client.WithImageStore(nsImageStore{ns: ns, s: syncImageStore{Store: journalImageStore{Store: metadata.NewImageStore(mdb), j: emb.records}, gc: emb.gc}}),
			client.WithLeasesService(nsLeaseManager{ns: ns, m: syncLeaseManager{Manager: metadata.NewLeaseManager(mdb), gc: emb.gc, db: mdb}}),
			client.WithContainerStore(nsContainerStore{ns: ns, s: metadata.NewContainerStore(mdb)}),
			client.WithNamespaceService(namespaceStore{db: mdb}),
			client.WithSnapshotters(clientSnapshotters),
			client.WithDiffService(nsDiffService{ns: ns, d: differ}),
			client.WithIntrospectionService(newIntrospectionService(root, roots)),
		))
	if err != nil {
		return nil, fmt.Errorf("storage: create client: %w", err)
	}

	if err := ensureNamespace(ctx, c, opts.Namespace); err != nil {
		return nil, err
	}
	// Lets client calls that name no snapshotter resolve the effective one.
	if err := c.NamespaceService().SetLabel(ctx, opts.Namespace, defaults.DefaultSnapshotterNSLabel, effective); err != nil {
		return nil, fmt.Errorf("storage: set default snapshotter label: %w", err)
	}

	if err := reconcile(ns.ctx(ctx), mdb, sns, emb.gc); err != nil {
		return nil, err
	}
	emb.gc.start()
	logger.WithField("root", root).WithField("snapshotter", effective).
		WithField("namespace", opts.Namespace).WithField("gunzip", gz.Decoder()).Info("embedded containerd storage ready")
	return &Storage{
		client:      c,
		namespace:   opts.Namespace,
		snapshotter: effective,
		log:         logger,
		emb:         emb,
	}, nil
}

func openBolt(path, root string) (*bolt.DB, error) {
	o := *bolt.DefaultOptions
	// As containerd does: less exposure to freelist corruption, no unused
	// statistics, and no indefinite wait on flock(2).
	o.NoFreelistSync = true
	o.NoStatistics = true
	o.Timeout = boltOpenTimeout
	db, err := bolt.Open(path, metaDBMode, &o)
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("storage: metadata database %s is locked by another process "+
				"(is another berthd, or a containerd, using %s?): %w", path, root, err)
		}
		return nil, fmt.Errorf("storage: open metadata database %s: %w", path, err)
	}
	// bolt applies the mode only when it creates the file.
	if err := os.Chmod(path, metaDBMode); err != nil {
		db.Close()
		return nil, fmt.Errorf("storage: metadata database %s: %w", path, err)
	}
	return db, nil
}

// ensureNamespace creates ns unless it exists.
func ensureNamespace(ctx context.Context, c *client.Client, ns string) error {
	err := c.NamespaceService().Create(ctx, ns, nil)
	if err != nil && !errdefs.IsAlreadyExists(err) {
		return fmt.Errorf("storage: create namespace %q: %w", ns, err)
	}
	return nil
}

// close releases the stack in dependency order. The GC must be stopped first.
func (e *embedded) close() error {
	var errs []error
	if e.gc != nil {
		e.gc.stop()
	}
	for name, sn := range e.snapshotters {
		if err := sn.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close snapshotter %s: %w", name, err))
		}
	}
	if e.mdb != nil {
		// Takes the DB's GC lock, then closes bolt.
		if err := e.mdb.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close metadata database: %w", err))
		}
	} else if e.bdb != nil {
		if err := e.bdb.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close metadata database: %w", err))
		}
	}
	return errors.Join(errs...)
}
