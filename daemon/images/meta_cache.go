package images

import (
	"context"
	"slices"
	"sync"

	c8dimages "github.com/containerd/containerd/v2/core/images"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Caches of what listing thousands of images would otherwise read again on
// every request. Each is bounded (a full cache drops an arbitrary entry, so
// a scan over more images than it holds still hits in proportion, where an
// LRU would miss every time) and holds only facts that cannot change
// unseen: what a blob says (content-addressed) and, in embedded mode, what
// was present at a removal generation (Storage.Generations).

// Cache bounds: 10,000 images (three blobs and a snapshot each) fit.
const (
	maxCachedManifests = 20000
	maxCachedUsages    = 20000
	maxCachedNames     = 65536
)

// boundedCache is a goroutine-safe map of at most max entries.
type boundedCache[K comparable, V any] struct {
	mu  sync.Mutex
	max int
	m   map[K]V
}

func newBoundedCache[K comparable, V any](max int) *boundedCache[K, V] {
	return &boundedCache[K, V]{max: max, m: map[K]V{}}
}

func (c *boundedCache[K, V]) get(k K) (V, bool) {
	if c == nil { // a service without caches (unit tests)
		var zero V
		return zero, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *boundedCache[K, V]) put(k K, v V) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; !ok && len(c.m) >= c.max {
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[k] = v
}

// metaCaches are the image service's caches.
type metaCaches struct {
	mu sync.Mutex
	// records is the last full listing of image records (embedded mode).
	records *recordsSnapshot
	// lists are the last unfiltered listings, by options (list_cache.go).
	lists     map[listKey]cachedList
	manifests *boundedCache[digest.Digest, *manifestFacts]
	usages    *boundedCache[digest.Digest, cachedUsage]
	names     *boundedCache[string, nameFacts]
}

func newMetaCaches() *metaCaches {
	return &metaCaches{
		manifests: newBoundedCache[digest.Digest, *manifestFacts](maxCachedManifests),
		usages:    newBoundedCache[digest.Digest, cachedUsage](maxCachedUsages),
		names:     newBoundedCache[string, nameFacts](maxCachedNames),
	}
}

// manifestFacts is what an image manifest blob says, with the summary of
// its config: shared, read-only.
type manifestFacts struct {
	config      ocispec.Descriptor
	layers      []ocispec.Descriptor
	imageLayers bool
	// cfg is the config's summary, nil when the config was missing or could
	// not be decoded when the facts were read.
	cfg *configSummary
	// complete is true when the manifest, its config and every layer were
	// present at removal generation gen (embedded mode only).
	complete bool
	gen      uint64
}

// cachedUsage is a snapshot's usage, found present at removal generation
// gen (committed snapshots do not change), or found missing (size -1) at
// write generation gen.
type cachedUsage struct {
	size int64
	gen  uint64
}

// removalGen is the storage's removal generation, and whether presence may
// be cached at all.
func (s *ImageService) removalGen() (uint64, bool) {
	_, removals, ok := s.generations()
	return removals, ok
}

// generations are the storage's counters; ok is false when nothing may be
// cached (remote mode, or a service without storage or caches).
func (s *ImageService) generations() (writes, removals uint64, ok bool) {
	if s.storage == nil || s.caches == nil {
		return 0, 0, false
	}
	return s.storage.Generations()
}

func (c *metaCaches) manifestCache() *boundedCache[digest.Digest, *manifestFacts] {
	if c == nil {
		return nil
	}
	return c.manifests
}

func (c *metaCaches) usageCache() *boundedCache[digest.Digest, cachedUsage] {
	if c == nil {
		return nil
	}
	return c.usages
}

func (c *metaCaches) nameCache() *boundedCache[string, nameFacts] {
	if c == nil {
		return nil
	}
	return c.names
}

// recordsSnapshot is every image record as listed at write generation gen,
// sorted by name, with an index by target digest.
type recordsSnapshot struct {
	gen      uint64
	records  []c8dimages.Image
	byTarget map[digest.Digest][]int
}

// allRecords lists every image record, sorted by name; the caller owns the
// slice. In embedded mode the list is kept until the next metadata write.
func (s *ImageService) allRecords(ctx context.Context) ([]c8dimages.Image, error) {
	snap, err := s.recordsSnapshot(ctx)
	if err != nil {
		return nil, err
	}
	return slices.Clone(snap.records), nil
}

// recordsSnapshot returns the current records snapshot (shared, read-only).
func (s *ImageService) recordsSnapshot(ctx context.Context) (*recordsSnapshot, error) {
	writes, _, ok := s.generations()
	if ok {
		s.caches.mu.Lock()
		snap := s.caches.records
		s.caches.mu.Unlock()
		if snap != nil && snap.gen == writes {
			return snap, nil
		}
	}
	list, err := s.images.List(ctx)
	if err != nil {
		return nil, err
	}
	sortByName(list)
	snap := &recordsSnapshot{gen: writes, records: list, byTarget: map[digest.Digest][]int{}}
	for i, rec := range list {
		snap.byTarget[rec.Target.Digest] = append(snap.byTarget[rec.Target.Digest], i)
	}
	if ok {
		s.caches.mu.Lock()
		s.caches.records = snap
		s.caches.mu.Unlock()
	}
	return snap, nil
}

// recordsRemoved brings the kept records snapshot up to date after berth
// itself removed the records named gone, when those removals are the only
// writes since before (writes moved by exactly len(gone); each removal is
// counted before its call returns): the lookups after a rmi then do not
// list every record again. Otherwise the next lookup lists them.
func (s *ImageService) recordsRemoved(before uint64, gone []string) {
	writes, _, ok := s.generations()
	if !ok || len(gone) == 0 || writes != before+uint64(len(gone)) {
		return
	}
	s.caches.mu.Lock()
	defer s.caches.mu.Unlock()
	snap := s.caches.records
	if snap == nil || snap.gen != before {
		return
	}
	drop := make(map[string]bool, len(gone))
	for _, name := range gone {
		drop[name] = true
	}
	next := &recordsSnapshot{gen: writes, records: make([]c8dimages.Image, 0, len(snap.records)),
		byTarget: make(map[digest.Digest][]int, len(snap.byTarget))}
	for _, rec := range snap.records {
		if drop[rec.Name] {
			continue
		}
		next.byTarget[rec.Target.Digest] = append(next.byTarget[rec.Target.Digest], len(next.records))
		next.records = append(next.records, rec)
	}
	s.caches.records = next
}
