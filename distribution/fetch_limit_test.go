package distribution_test

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/opencontainers/go-digest"
	"golang.org/x/sync/semaphore"

	"github.com/berth-dev/berth/distribution"
)

// newLimitedEnv is a registry with one layer and a fetcher of it that has
// one download slot.
func newLimitedEnv(t *testing.T) (*blobEnv, context.Context, *semaphore.Weighted, remotes.Fetcher) {
	t.Helper()
	e := newBlobEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	slots := semaphore.NewWeighted(1)
	return e, ctx, slots, distribution.LimitFetches(e.fetcher(ctx, t, nil), slots)
}

// A download holds its max-concurrent-downloads slot until its bytes are
// in, not until the content store has committed them.
func TestLimitFetchesFreesTheSlotAtTheEndOfTheBody(t *testing.T) {
	e, ctx, slots, f := newLimitedEnv(t)

	rc, err := f.Fetch(ctx, e.layer.Descriptor())
	if err != nil {
		t.Fatal(err)
	}
	if slots.TryAcquire(1) {
		t.Fatal("the slot is free while the body is unread")
	}
	first, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	if digest.FromBytes(first) != e.layer.Digest {
		t.Fatalf("fetched %s, want %s", digest.FromBytes(first), e.layer.Digest)
	}
	if !slots.TryAcquire(1) {
		t.Fatal("the slot is still held after the body's end")
	}
	slots.Release(1)

	// A reset reads the body again from its start, without a slot.
	s, ok := rc.(io.Seeker)
	if !ok {
		t.Fatalf("the body (%T) cannot seek: content.Copy could not resume a download", rc)
	}
	if _, err := s.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	again, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(again, first) {
		t.Fatalf("read again: %d bytes, %v; want the %d bytes read first", len(again), err, len(first))
	}
	// Closing gives nothing back twice (a semaphore released more than
	// held panics).
	if err := rc.Close(); err != nil {
		t.Fatal(err)
	}
	if !slots.TryAcquire(1) || slots.TryAcquire(1) {
		t.Fatal("after Close, the one slot is not exactly free")
	}
	slots.Release(1)
}

func TestLimitFetchesFreesTheSlotOfAFailedOrClosedFetch(t *testing.T) {
	e, ctx, slots, f := newLimitedEnv(t)

	missing := e.layer.Descriptor()
	missing.Digest = digest.FromString("not in the registry")
	// containerd's fetcher asks the registry at the first read.
	if rc, err := f.Fetch(ctx, missing); err == nil {
		if _, err := io.ReadAll(rc); err == nil {
			t.Fatal("fetched a blob the registry does not have")
		}
		rc.Close()
	}
	rc, err := f.Fetch(ctx, e.layer.Descriptor()) // waits for a slot
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(rc, make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	rc.Close()
	if !slots.TryAcquire(1) {
		t.Fatal("the slot of a body closed before its end is still held")
	}
}
