package distribution

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/containerd/log"
)

// Defaults of the registry transport (see TransportOption).
const (
	// DefaultStallTimeout is how long a download may deliver no bytes before
	// it is resumed from where it stopped, and how long a GET or HEAD may go
	// unanswered before it is tried again.
	DefaultStallTimeout = 30 * time.Second
	// DefaultAttempts is how many times one request or one body is tried
	// without progress before its error is returned: dockerd's default
	// max-download-attempts.
	DefaultAttempts = 5
	// DefaultBackoff is the first wait between attempts; it doubles
	// (0.5 s, 1 s, 2 s, 4 s).
	DefaultBackoff = 500 * time.Millisecond
	// maxRetryAfter is the longest Retry-After honoured; a registry asking
	// for longer gets its answer passed on.
	maxRetryAfter = time.Minute
)

// TransportOption tunes NewTransport.
type TransportOption func(*transport)

// WithStallTimeout sets how long a body may make no progress (default
// DefaultStallTimeout).
func WithStallTimeout(d time.Duration) TransportOption {
	return func(t *transport) {
		if d > 0 {
			t.stallTimeout = d
		}
	}
}

// WithAttempts sets how many attempts without progress a request or body
// gets (default DefaultAttempts).
func WithAttempts(n int) TransportOption {
	return func(t *transport) {
		if n > 0 {
			t.attempts = n
		}
	}
}

// WithBackoff sets the first wait between attempts (default DefaultBackoff).
func WithBackoff(d time.Duration) TransportOption {
	return func(t *transport) {
		if d > 0 {
			t.backoff = d
		}
	}
}

// transport is an http.RoundTripper for registry requests that outlasts
// transient faults: GET and HEAD requests meeting a connection reset, or no
// answer for stallTimeout, are retried with backoff, blob requests answered 429/5xx too (honouring
// Retry-After; manifest answers pass on at once, as containerd and dockerd
// do), and blob bodies that stall (no bytes for stallTimeout), are reset or end short are
// resumed with a Range request from the offset reached, up to attempts
// times without progress. Other requests pass through untouched.
type transport struct {
	next         http.RoundTripper
	stallTimeout time.Duration
	attempts     int
	backoff      time.Duration
}

// NewTransport wraps next (the registry host's transport); wrapping a
// transport made by NewTransport returns it unchanged.
func NewTransport(next http.RoundTripper, opts ...TransportOption) http.RoundTripper {
	if t, ok := next.(*transport); ok {
		return t
	}
	if next == nil {
		next = http.DefaultTransport
	}
	t := &transport{next: next, stallTimeout: DefaultStallTimeout, attempts: DefaultAttempts, backoff: DefaultBackoff}
	for _, o := range opts {
		o(t)
	}
	return t
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		return t.next.RoundTrip(req)
	}
	resp, cancel, err := t.roundTrip(req)
	if resp != nil {
		// Redirects are followed from this request, not the attempt's
		// clone whose context ends with its body.
		resp.Request = req
	}
	if err != nil {
		if cancel != nil {
			cancel()
		}
		return resp, err
	}
	if req.Method != http.MethodGet || (resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusPartialContent) {
		resp.Body = cancelOnClose{resp.Body, cancel}
		return resp, nil
	}
	resp.Body = newWatchedBody(t, req, resp, cancel)
	return resp, nil
}

// roundTrip sends req, retrying transient failures. The returned cancel
// ends the attempt's context; call it once the body is done with.
func (t *transport) roundTrip(req *http.Request) (*http.Response, context.CancelFunc, error) {
	ctx := req.Context()
	for attempt := 1; ; attempt++ {
		actx, cancelCause := context.WithCancelCause(ctx)
		cancel := func() { cancelCause(nil) }
		// A registry that takes the request and never answers would hold
		// the pull for good (net/http has no default for it).
		silent := time.AfterFunc(t.stallTimeout, func() { cancelCause(errNoAnswer{t.stallTimeout}) })
		resp, err := t.next.RoundTrip(req.Clone(actx))
		if !silent.Stop() && err != nil && ctx.Err() == nil {
			err = fmt.Errorf("%s %s: %w", req.Method, req.URL.Redacted(), context.Cause(actx))
		}
		wait, retry := t.retryable(resp, err, attempt)
		if !retry {
			return resp, cancel, err
		}
		if resp != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		cancel()
		cause := errOrStatus(resp, err)
		log.G(ctx).WithField("url", req.URL.Redacted()).WithField("attempt", attempt).
			WithError(cause).Debugf("registry request failed; retrying in %v", wait)
		notifyRetry(ctx, Retry{Offset: rangeStart(req), Delay: wait, Attempt: attempt, Err: cause})
		if err := sleep(ctx, wait); err != nil {
			return nil, nil, err
		}
	}
}

// errNoAnswer is a request's error when the registry sent no response
// headers for the stall timeout: a timeout, retried as one.
type errNoAnswer struct{ after time.Duration }

func (e errNoAnswer) Error() string {
	return fmt.Sprintf("the registry sent no answer for %v", e.after)
}

func (errNoAnswer) Timeout() bool { return true }

// retryable reports whether the outcome of an attempt is worth another
// one, and after how long.
func (t *transport) retryable(resp *http.Response, err error, attempt int) (time.Duration, bool) {
	if attempt >= t.attempts {
		return 0, false
	}
	backoff := t.backoff << (attempt - 1)
	if err != nil {
		return backoff, transient(err)
	}
	if !isBlob(resp.Request) {
		return 0, false
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
	default:
		return 0, false
	}
	if s := resp.Header.Get("Retry-After"); s != "" {
		d, ok := parseRetryAfter(s, time.Now())
		if !ok || d > maxRetryAfter {
			return 0, false
		}
		return max(d, backoff), true
	}
	return backoff, true
}

// transient reports whether a request error is a network fault worth a
// retry: resets, early ends and timeouts, not refusals or TLS errors.
func transient(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var timeout interface{ Timeout() bool }
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		(errors.As(err, &timeout) && timeout.Timeout())
}

// isBlob reports whether req fetches a blob (content-addressed: any byte
// range of it is the same whenever asked), following redirects back to the
// registry request.
func isBlob(req *http.Request) bool {
	for req.Response != nil && req.Response.Request != nil {
		req = req.Response.Request
	}
	return strings.Contains(req.URL.Path, "/blobs/")
}

// parseRetryAfter reads a Retry-After value: seconds or an HTTP date.
func parseRetryAfter(s string, now time.Time) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if at, err := http.ParseTime(s); err == nil {
		return max(at.Sub(now), 0), true
	}
	return 0, false
}

func errOrStatus(resp *http.Response, err error) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("%s", resp.Status)
}

func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// cancelOnClose ends an attempt's context when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
