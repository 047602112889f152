package storage

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/mount"
	"github.com/containerd/containerd/v2/core/snapshots"
)

// In embedded mode every image record and every snapshot is written through
// the client berth built (there is no containerd socket), so two narrower
// facts than the write generation can be kept: which records changed since
// a given record generation (a journal of the last changes), and whether
// any snapshot was created since a given snapshot generation. A listing
// after a tag then patches its record list instead of listing 19,900
// records, and keeps its "no such snapshot" answers across writes that made
// no snapshot.

// maxJournal bounds the record changes kept; a reader further behind
// lists every record again.
const maxJournal = 1024

// RecordChange is one committed change of an image record: Image is the
// record as stored, or nil when the record named Name was deleted.
type RecordChange struct {
	Name  string
	Image *images.Image
}

// recordJournal numbers the record writes and keeps the last changes.
type recordJournal struct {
	// wmu is held across each record write, so that the journal's order is
	// the commit order (bbolt serialises the writes anyway); readers do
	// not take it, and so never wait for a write queued behind a collection.
	wmu     sync.Mutex
	mu      sync.Mutex     // guards gen and changes
	gen     uint64         // record writes so far
	changes []RecordChange // changes[i] made generation gen-len(changes)+i+1
}

// note appends a committed change.
func (j *recordJournal) note(c RecordChange) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.gen++
	if len(j.changes) >= maxJournal {
		j.changes = append(j.changes[:0:0], j.changes[len(j.changes)-maxJournal/2:]...)
	}
	j.changes = append(j.changes, c)
}

// since returns the changes after generation from, in commit order, and
// the generation now; ok is false when they are no longer all kept.
func (j *recordJournal) since(from uint64) (changes []RecordChange, now uint64, ok bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := j.gen - from
	if from > j.gen || n > uint64(len(j.changes)) {
		return nil, j.gen, false
	}
	return append([]RecordChange(nil), j.changes[uint64(len(j.changes))-n:]...), j.gen, true
}

// journalImageStore records every successful write of the store it wraps.
type journalImageStore struct {
	images.Store
	j *recordJournal
}

func (s journalImageStore) Create(ctx context.Context, image images.Image) (images.Image, error) {
	s.j.wmu.Lock()
	defer s.j.wmu.Unlock()
	created, err := s.Store.Create(ctx, image)
	if err == nil {
		s.j.note(RecordChange{Name: created.Name, Image: &created})
	}
	return created, err
}

func (s journalImageStore) Update(ctx context.Context, image images.Image, fieldpaths ...string) (images.Image, error) {
	s.j.wmu.Lock()
	defer s.j.wmu.Unlock()
	updated, err := s.Store.Update(ctx, image, fieldpaths...)
	if err == nil {
		s.j.note(RecordChange{Name: updated.Name, Image: &updated})
	}
	return updated, err
}

func (s journalImageStore) Delete(ctx context.Context, name string, opts ...images.DeleteOpt) error {
	s.j.wmu.Lock()
	defer s.j.wmu.Unlock()
	err := s.Store.Delete(ctx, name, opts...)
	if err == nil {
		s.j.note(RecordChange{Name: name})
	}
	return err
}

// countingSnapshotter counts the snapshots created through it (Prepare,
// View, Commit), after each returned: a "no such snapshot" answer found
// while the count was n holds while it is still n. Removals are counted by
// the removal generation (a removing transaction is dirty).
type countingSnapshotter struct {
	snapshots.Snapshotter
	created *atomic.Uint64
}

func (s countingSnapshotter) Prepare(ctx context.Context, key, parent string, opts ...snapshots.Opt) ([]mount.Mount, error) {
	defer s.created.Add(1)
	return s.Snapshotter.Prepare(ctx, key, parent, opts...)
}

func (s countingSnapshotter) View(ctx context.Context, key, parent string, opts ...snapshots.Opt) ([]mount.Mount, error) {
	defer s.created.Add(1)
	return s.Snapshotter.View(ctx, key, parent, opts...)
}

func (s countingSnapshotter) Commit(ctx context.Context, name, key string, opts ...snapshots.Opt) error {
	defer s.created.Add(1)
	return s.Snapshotter.Commit(ctx, name, key, opts...)
}

// RecordChanges returns the image record changes committed after record
// generation from, in order, and the record generation now (embedded
// mode). ok is false in remote mode or when the changes are no longer all
// kept: then every record must be listed (at generation now, read before
// listing).
func (s *Storage) RecordChanges(from uint64) (changes []RecordChange, now uint64, ok bool) {
	if s.emb == nil {
		return nil, 0, false
	}
	return s.emb.records.since(from)
}

// RecordGeneration returns the number of image record writes so far
// (embedded mode; ok is false in remote mode).
func (s *Storage) RecordGeneration() (uint64, bool) {
	if s.emb == nil {
		return 0, false
	}
	j := s.emb.records
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.gen, true
}

// SnapshotGeneration returns the number of snapshots created so far
// (embedded mode; ok is false in remote mode).
func (s *Storage) SnapshotGeneration() (uint64, bool) {
	if s.emb == nil {
		return 0, false
	}
	return s.emb.snapshotsMade.Load(), true
}
