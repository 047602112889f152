package distribution

import (
	"context"
	"net/http"
	"strings"
	"time"
)

// Retry is one retry of a blob download by the registry transport: the
// attempt that failed, why, and how long the transport waits before the
// next one.
type Retry struct {
	// Offset is the blob offset the next attempt starts from (what was
	// delivered so far; 0 when unknown).
	Offset int64
	// Delay is the wait before the next attempt.
	Delay time.Duration
	// Attempt counts the attempts without progress so far (1 for the
	// first failure).
	Attempt int
	// Err is why the attempt failed.
	Err error
}

// RetryObserver learns of the retries of the blob download whose requests
// carry it on their context (WithRetryObserver): a pull shows them on the
// layer's progress line, as dockerd's "Retrying in N seconds".
type RetryObserver interface {
	// Retrying is called before the transport waits r.Delay; it must not
	// block.
	Retrying(r Retry)
}

// retryObserverKey is the context key of a RetryObserver.
type retryObserverKey struct{}

// WithRetryObserver returns ctx carrying o for the registry requests made
// with it (one blob fetch).
func WithRetryObserver(ctx context.Context, o RetryObserver) context.Context {
	return context.WithValue(ctx, retryObserverKey{}, o)
}

// notifyRetry tells the observer on ctx, if any, about r.
func notifyRetry(ctx context.Context, r Retry) {
	if o, ok := ctx.Value(retryObserverKey{}).(RetryObserver); ok && o != nil {
		o.Retrying(r)
	}
}

// rangeStart is the first offset a request asks for with Range
// ("bytes=N-"), 0 without one.
func rangeStart(req *http.Request) int64 {
	rest, ok := strings.CutPrefix(req.Header.Get("Range"), "bytes=")
	if !ok {
		return 0
	}
	n, _ := contentRangeStart("bytes " + rest)
	return n
}
