package images

import (
	"context"
	"sync"

	"golang.org/x/sync/semaphore"
)

// limiterCapacity is the size of a limiter's semaphore: the largest limit
// it can be set to.
const limiterCapacity = 1 << 16

// limiter is a daemon-wide concurrency cap (max-concurrent-downloads) that
// a reload can change while transfers run. containerd takes a
// *semaphore.Weighted, which cannot be resized, so the limiter owns one of
// limiterCapacity permits and holds back capacity-limit of them itself:
// raising the limit releases held permits at once; lowering it acquires
// more in the background, so running transfers finish and new ones wait
// until fewer than the new limit are in flight. The semaphore never
// changes, so every pull shares one cap across a reload.
type limiter struct {
	sem *semaphore.Weighted

	mu       sync.Mutex
	limit    int64
	held     int64              // permits held back by the limiter
	cancelFn context.CancelFunc // aborts a pending shrink
}

func newLimiter(n int) *limiter {
	l := &limiter{sem: semaphore.NewWeighted(limiterCapacity)}
	l.limit = clampLimit(n)
	l.held = limiterCapacity - l.limit
	_ = l.sem.Acquire(context.Background(), l.held) // free semaphore: never blocks
	return l
}

func clampLimit(n int) int64 {
	return min(max(int64(n), 1), limiterCapacity)
}

// Semaphore is the semaphore transfers acquire, for containerd's limiters.
func (l *limiter) Semaphore() *semaphore.Weighted { return l.sem }

// Limit is the current limit.
func (l *limiter) Limit() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int(l.limit)
}

// SetLimit changes the limit; it does not wait for running transfers.
func (l *limiter) SetLimit(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cancelFn != nil {
		l.cancelFn()
		l.cancelFn = nil
	}
	l.limit = clampLimit(n)
	want := limiterCapacity - l.limit
	switch {
	case want < l.held:
		l.sem.Release(l.held - want)
		l.held = want
	case want > l.held:
		// Take what is free now; wait for the rest in the background.
		for l.held < want && l.sem.TryAcquire(1) {
			l.held++
		}
		if l.held < want {
			ctx, cancel := context.WithCancel(context.Background())
			l.cancelFn = cancel
			go l.holdBack(ctx, want-l.held)
		}
	}
}

// holdBack acquires k more permits once transfers release them, then
// settles on whatever the limit is by then.
func (l *limiter) holdBack(ctx context.Context, k int64) {
	if err := l.sem.Acquire(ctx, k); err != nil {
		return // superseded by a later SetLimit; the semaphore is unchanged
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.held += k
	if want := limiterCapacity - l.limit; l.held > want {
		l.sem.Release(l.held - want)
		l.held = want
	}
}
