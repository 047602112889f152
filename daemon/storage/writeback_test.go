package storage

import (
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// countedWriteBack is a writeBack on a directory whose syncfs calls (real
// ones) are counted; each waits for release before it returns.
func countedWriteBack(t *testing.T, threshold int64) (w *writeBack, calls *atomic.Int64, release chan struct{}) {
	t.Helper()
	w = newWriteBack(t.TempDir())
	w.threshold = threshold
	calls, release = &atomic.Int64{}, make(chan struct{})
	w.syncfs = func(fd int) error {
		calls.Add(1)
		<-release
		return unix.Syncfs(fd)
	}
	return w, calls, release
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s: %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func expectCalls(t *testing.T, calls *atomic.Int64, want int64, when string) {
	t.Helper()
	time.Sleep(20 * time.Millisecond)
	if n := calls.Load(); n != want {
		t.Fatalf("%d syncs %s, want %d", n, when, want)
	}
}

func TestWriteBackSyncsEachTimeALayerHasWrittenEnough(t *testing.T) {
	w, calls, release := countedWriteBack(t, 100)

	// Two small layers together write more than the threshold: no sync.
	small1, small2 := w.layer(), w.layer()
	small1(60)
	small2(60)
	small1(99)
	expectCalls(t, calls, 0, "for layers of 99 and 60 bytes")

	big := w.layer()
	big(50)
	big(100)
	waitFor(t, "a sync once a layer has written 100 bytes", func() bool { return calls.Load() == 1 })

	// While it runs, the layer's next 100 bytes start no second one.
	big(250)
	expectCalls(t, calls, 1, "while the first still runs")
	release <- struct{}{}
	waitFor(t, "the first sync to end", func() bool { return !w.running.Load() })

	big(299)
	expectCalls(t, calls, 1, "before the layer's next 100 bytes")
	big(300)
	waitFor(t, "a second sync at 300 bytes", func() bool { return calls.Load() == 2 })
	release <- struct{}{}
	waitFor(t, "the second sync to end", func() bool { return !w.running.Load() })
}
