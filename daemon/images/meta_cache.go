package images

import (
	"sync"

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
	// records is the image records as last listed and patched (embedded
	// mode; records_cache.go).
	records *recordsSnapshot
	// lists are the last unfiltered listings, by options (list_cache.go).
	lists map[listKey]cachedList
	// summaries are the last unfiltered listings' reusable summaries
	// (list_reuse.go).
	summaries map[listKey]keptSummaries
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
// snapshot generation gen (Storage.SnapshotGeneration: no snapshot was
// created since).
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
