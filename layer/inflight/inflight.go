// Package inflight lets a layer be applied while its blob is still being
// downloaded: the pull announces the blobs it is about to fetch (Expect),
// the content store's writers of those blobs are followed (WrapStore), and
// the applier reads them through Provider, whose readers hand out bytes as
// soon as they are written to the ingest file and block until they are.
//
// Nothing unverified is ever given out as complete: a read that reaches
// the end of a blob waits until the download has been committed, which is
// when the content store has checked its size and digest, and returns the
// download's error if that failed. An applier reads every blob to its end
// before it returns (the diff ID covers the whole stream), so a snapshot is
// only committed on top of a verified blob. If the followed writer fails,
// is truncated below what was read, or is closed uncommitted, the readers
// fail too: bytes already read may not have been the blob's.
package inflight

import (
	"context"
	"errors"
	"os"
	"sync"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// errInterrupted is what readers get when the write they followed stopped
// before the blob was committed.
var errInterrupted = errors.New("layer download was interrupted")

// Table holds the blobs expected or being written. Its zero value is not
// usable; use NewTable.
type Table struct {
	mu      sync.Mutex
	entries map[digest.Digest]*entry
}

// NewTable returns an empty table.
func NewTable() *Table {
	return &Table{entries: map[digest.Digest]*entry{}}
}

// entry is one expected blob.
type entry struct {
	size int64
	refs int // handles and readers

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every change
	file    *os.File      // the ingest's data file, once a writer is followed
	written int64         // bytes in file, written in order from 0
	broken  error         // the followed writer failed
	done    bool          // the download ended (Handle.Done)
	err     error         // its error
}

// Handle is a pull's claim on an expected blob.
type Handle struct {
	t    *Table
	d    digest.Digest
	e    *entry
	once sync.Once
}

// Expect announces that desc's blob is about to be fetched into the content
// store. Done must be called when the fetch has ended, and Release when the
// caller no longer needs the blob to be followed (after its unpack).
// Several pulls may expect the same blob: the first Done without an error
// makes it readable from the store.
func (t *Table) Expect(desc ocispec.Descriptor) *Handle {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.entries[desc.Digest]
	if !ok {
		e = &entry{size: desc.Size, changed: make(chan struct{})}
		t.entries[desc.Digest] = e
	}
	e.refs++
	return &Handle{t: t, d: desc.Digest, e: e}
}

// Done records that the fetch of the blob ended, with err (nil when the blob
// is committed in the content store).
func (h *Handle) Done(err error) {
	h.e.update(func(e *entry) {
		if e.done && e.err == nil {
			return // another pull's fetch already committed it
		}
		e.done, e.err = true, err
	})
}

// Release ends the handle's claim; the last one forgets the blob.
func (h *Handle) Release() {
	h.once.Do(func() { h.t.release(h.d, h.e) })
}

// lookup returns the entry of d with one more reference, or nil.
func (t *Table) lookup(d digest.Digest) *entry {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.entries[d]
	if e != nil {
		e.refs++
	}
	return e
}

func (t *Table) release(d digest.Digest, e *entry) {
	t.mu.Lock()
	e.refs--
	last := e.refs == 0
	if last && t.entries[d] == e {
		delete(t.entries, d)
	}
	t.mu.Unlock()
	if last {
		e.update(func(e *entry) {
			if e.file != nil {
				e.file.Close()
				e.file = nil
			}
		})
	}
}

// Wait waits until the fetch of an expected blob has ended and returns its
// error; nil when d is not expected. The applier uses it to report a failed
// download (a digest mismatch, say) rather than what its bytes did to the
// decompressor.
func (t *Table) Wait(d digest.Digest, cancel <-chan struct{}) error {
	var err error
	if werr := t.waitFor(d, cancel, func(e *entry) bool { err = e.err; return e.done }); werr != nil {
		return werr
	}
	return err
}

// WaitStarted waits until bytes of an expected blob are there to read (its
// followed writer has written some) or its fetch has ended; it returns at
// once when d is not expected. A pull gives a layer's apply a CPU slot only
// then, so the slots go to layers whose bytes are arriving rather than to
// layers still queued for a download slot.
func (t *Table) WaitStarted(d digest.Digest, cancel <-chan struct{}) error {
	return t.waitFor(d, cancel, func(e *entry) bool { return e.written > 0 || e.done || e.broken != nil })
}

// waitFor waits until ready, called under the entry's lock, holds for the
// expected blob d; it returns at once when d is not expected, and
// context.Canceled when cancel closes first.
func (t *Table) waitFor(d digest.Digest, cancel <-chan struct{}, ready func(*entry) bool) error {
	e := t.lookup(d)
	if e == nil {
		return nil
	}
	defer t.release(d, e)
	for {
		e.mu.Lock()
		ok, ch := ready(e), e.changed
		e.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-cancel:
			return context.Canceled
		}
	}
}

// update changes the entry under its lock and wakes its readers.
func (e *entry) update(f func(*entry)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	f(e)
	close(e.changed)
	e.changed = make(chan struct{})
}
