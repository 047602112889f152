package images

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// TestLimiterResize checks that the cap is shared by running and new
// transfers across changes: raising it lets waiting transfers start at once,
// lowering it lets running ones finish and holds new ones back.
func TestLimiterResize(t *testing.T) {
	l := newLimiter(2)
	sem := l.Semaphore()
	ctx := context.Background()
	if !sem.TryAcquire(1) || !sem.TryAcquire(1) {
		t.Fatal("limit 2: two transfers must start")
	}
	if sem.TryAcquire(1) {
		t.Fatal("limit 2: a third transfer started")
	}
	l.SetLimit(3)
	if !sem.TryAcquire(1) {
		t.Fatal("after raising to 3, a third transfer must start")
	}
	// Three running; lower to 1: none is interrupted, and a new one waits
	// until none runs.
	l.SetLimit(1)
	time.Sleep(20 * time.Millisecond) // let the limiter queue for its permits
	var started atomic.Int32
	go func() {
		if err := sem.Acquire(ctx, 1); err == nil {
			started.Add(1)
		}
	}()
	sem.Release(1)
	sem.Release(1)
	time.Sleep(50 * time.Millisecond)
	if started.Load() != 0 {
		t.Fatal("limit 1 with one transfer running: a new transfer started")
	}
	sem.Release(1) // none running now: the waiting one may start
	deadline := time.Now().Add(2 * time.Second)
	for started.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if started.Load() != 1 {
		t.Fatal("limit 1 with nothing running: the waiting transfer did not start")
	}
	if sem.TryAcquire(1) {
		t.Fatal("limit 1: a second transfer started")
	}
	if l.Limit() != 1 {
		t.Fatalf("Limit() = %d", l.Limit())
	}
}

// TestLimiterShrinkSuperseded raises the limit again while a shrink waits.
func TestLimiterShrinkSuperseded(t *testing.T) {
	l := newLimiter(2)
	sem := l.Semaphore()
	if !sem.TryAcquire(2) {
		t.Fatal("limit 2: two transfers must start")
	}
	l.SetLimit(1) // waits for one to finish
	l.SetLimit(4) // supersedes it
	if !sem.TryAcquire(2) {
		t.Fatal("after raising to 4, two more transfers must start")
	}
	if sem.TryAcquire(1) {
		t.Fatal("limit 4: a fifth transfer started")
	}
	sem.Release(4)
	if !sem.TryAcquire(4) || sem.TryAcquire(1) {
		t.Fatal("the cap must settle at 4")
	}
}
