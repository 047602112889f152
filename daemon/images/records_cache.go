package images

import (
	"context"
	"slices"
	"strings"

	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/opencontainers/go-digest"

	"github.com/berth-dev/berth/daemon/storage"
)

// recordsSnapshot is every image record as listed at record generation
// gen, sorted by name, with an index by target digest.
type recordsSnapshot struct {
	gen      uint64
	records  []c8dimages.Image
	byTarget map[digest.Digest][]int
}

func newRecordsSnapshot(gen uint64, sorted []c8dimages.Image) *recordsSnapshot {
	snap := &recordsSnapshot{gen: gen, records: sorted, byTarget: make(map[digest.Digest][]int, len(sorted))}
	for i, rec := range sorted {
		snap.byTarget[rec.Target.Digest] = append(snap.byTarget[rec.Target.Digest], i)
	}
	return snap
}

// allRecords lists every image record, sorted by name; the caller owns the
// slice. In embedded mode the list is kept, and brought up to date from
// the storage's journal of record changes.
func (s *ImageService) allRecords(ctx context.Context) ([]c8dimages.Image, error) {
	snap, err := s.recordsSnapshot(ctx)
	if err != nil {
		return nil, err
	}
	return slices.Clone(snap.records), nil
}

// recordsSnapshot returns the current records snapshot (shared, read-only).
// A kept snapshot is patched with the record changes committed since it
// was taken (a tag, pull, load or rmi changes a few of 19,900 records);
// only when those are no longer all known is every record listed again.
func (s *ImageService) recordsSnapshot(ctx context.Context) (*recordsSnapshot, error) {
	var kept *recordsSnapshot
	if s.storage != nil && s.caches != nil {
		s.caches.mu.Lock()
		kept = s.caches.records
		s.caches.mu.Unlock()
	}
	if kept != nil {
		changes, now, ok := s.storage.RecordChanges(kept.gen)
		if ok {
			if len(changes) == 0 {
				return kept, nil
			}
			return s.keepRecords(kept, patchRecords(kept, changes, now)), nil
		}
	}
	var gen uint64
	cacheable := false
	if s.storage != nil && s.caches != nil {
		// Read before listing: a change committed meanwhile is replayed
		// again later, which is harmless (each change is a name's state).
		gen, cacheable = s.storage.RecordGeneration()
	}
	list, err := s.images.List(ctx)
	if err != nil {
		return nil, err
	}
	sortByName(list)
	snap := newRecordsSnapshot(gen, list)
	if cacheable {
		s.keepRecords(kept, snap)
	}
	return snap, nil
}

// keepRecords replaces the kept snapshot old by snap, unless another
// lookup replaced it meanwhile; it returns snap.
func (s *ImageService) keepRecords(old, snap *recordsSnapshot) *recordsSnapshot {
	s.caches.mu.Lock()
	defer s.caches.mu.Unlock()
	if s.caches.records == old || s.caches.records == nil || s.caches.records.gen < snap.gen {
		s.caches.records = snap
	}
	return snap
}

// patchRecords applies changes, in order, to a copy of snap's records.
func patchRecords(snap *recordsSnapshot, changes []storage.RecordChange, now uint64) *recordsSnapshot {
	final := map[string]*c8dimages.Image{}
	for _, c := range changes {
		final[c.Name] = c.Image
	}
	list := make([]c8dimages.Image, 0, len(snap.records)+len(final))
	for _, rec := range snap.records {
		if img, changed := final[rec.Name]; changed {
			if img == nil {
				continue
			}
			rec = *img
			final[rec.Name] = nil // placed
		}
		list = append(list, rec)
	}
	added := false
	for _, img := range final {
		if img != nil {
			list = append(list, *img)
			added = true
		}
	}
	if added {
		slices.SortStableFunc(list, func(a, b c8dimages.Image) int { return strings.Compare(a.Name, b.Name) })
	}
	return newRecordsSnapshot(now, list)
}
