package images

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestKeyedLocks: a held key makes the next taker wait (told once), until
// the holder unlocks or the taker's context ends; other keys are free.
func TestKeyedLocks(t *testing.T) {
	k := newKeyedLocks()
	bg := context.Background()
	if err := k.lock(bg, "sn://overlayfs/sha256:a", nil); err != nil {
		t.Fatal(err)
	}
	if err := k.lock(bg, "sn://overlayfs/sha256:b", func() { t.Error("a free key waited") }); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(bg, 50*time.Millisecond)
	defer cancel()
	waits := 0
	if err := k.lock(ctx, "sn://overlayfs/sha256:a", func() { waits++ }); !errors.Is(err, context.DeadlineExceeded) || waits != 1 {
		t.Fatalf("lock of a held key: %v after %d waits, want the context's end after 1", err, waits)
	}

	got := make(chan error)
	go func() { got <- k.lock(bg, "sn://overlayfs/sha256:a", nil) }()
	select {
	case err := <-got:
		t.Fatalf("took a held key: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	k.unlock("sn://overlayfs/sha256:a")
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if d := lockedDigest("sn://overlayfs/sha256:a"); d != "sha256:a" {
		t.Errorf("lockedDigest = %q", d)
	}
}
