package distribution_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/distribution"
)

// retries records what a RetryObserver is told.
type retries struct {
	mu  sync.Mutex
	got []distribution.Retry
}

func (r *retries) Retrying(x distribution.Retry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, x)
}

func (r *retries) list() []distribution.Retry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]distribution.Retry(nil), r.got...)
}

// fetchWith reads the layer through regs with ctx.
func (e *blobEnv) fetchWith(ctx context.Context, t *testing.T, regs *distribution.Registries) error {
	t.Helper()
	resolver := regs.Resolver(ctx, nil, nil)
	ref := e.reg.Host() + "/t/app:v1"
	if _, _, err := resolver.Resolve(ctx, ref); err != nil {
		t.Fatal(err)
	}
	f, err := resolver.Fetcher(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := f.Fetch(ctx, e.layer.Descriptor())
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.Copy(io.Discard, rc)
	return err
}

// TestTransportTellsRetries: the observer on a fetch's context hears of
// each retry, with the wait and the offset the download resumes from; a
// fetch without one is not affected.
func TestTransportTellsRetries(t *testing.T) {
	e := newBlobEnv(t)
	regs := distribution.New(distribution.Config{
		InsecureRegistries: []string{e.reg.Host()},
		TransportOptions:   []distribution.TransportOption{distribution.WithBackoff(10 * time.Millisecond)},
	})
	e.reg.ThrottleBlob("t/app", e.layer.Digest, http.StatusServiceUnavailable, time.Second, 1)
	e.reg.ShortBlob("t/app", e.layer.Digest, 300<<10, 1)
	obs := &retries{}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.fetchWith(distribution.WithRetryObserver(ctx, obs), t, regs); err != nil {
		t.Fatalf("fetch: %v", err)
	}
	got := obs.list()
	if len(got) != 2 {
		t.Fatalf("observer told %+v, want the 503 and the short body", got)
	}
	if got[0].Delay != time.Second || got[0].Offset != 0 || !strings.Contains(got[0].Err.Error(), "503") {
		t.Errorf("first retry %+v, want 1s (Retry-After) from offset 0 after a 503", got[0])
	}
	if got[1].Offset != 300<<10 || got[1].Delay != 10*time.Millisecond || got[1].Attempt != 1 {
		t.Errorf("second retry %+v, want a resume from %d after 10ms", got[1], 300<<10)
	}
}

// TestReconfigureTransport: attempts set by Reconfigure apply to the next
// fetches, on top of Config.TransportOptions.
func TestReconfigureTransport(t *testing.T) {
	e := newBlobEnv(t)
	regs := distribution.New(distribution.Config{
		InsecureRegistries: []string{e.reg.Host()},
		TransportOptions:   []distribution.TransportOption{distribution.WithBackoff(10 * time.Millisecond), distribution.WithAttempts(3)},
	})
	// 502: containerd itself asks again after a 500 or 503, not a 502.
	e.reg.FailPath(e.path, http.StatusBadGateway, `{"errors":[]}`)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, attempts := range []int{3, 2} {
		if attempts != 3 {
			regs.Reconfigure([]string{e.reg.Host()}, nil, distribution.WithAttempts(attempts))
		}
		e.reg.ResetRequests()
		if err := e.fetchWith(ctx, t, regs); err == nil {
			t.Fatal("fetch of an always failing blob succeeded")
		}
		if gets := e.gets(); len(gets) != attempts {
			t.Errorf("with %d attempts: GETs %q", attempts, gets)
		}
	}
}
