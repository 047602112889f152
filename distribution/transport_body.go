package distribution

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/containerd/log"
)

// watchedBody is a GET response body guarded against stalls; for blobs
// (content-addressed, so any byte range of them is the same) it resumes
// interrupted downloads with a Range request from the offset reached.
type watchedBody struct {
	t      *transport
	ctx    context.Context // the caller's
	root   *http.Request   // the first request, before any redirect
	url    string          // redacted, for messages
	resume bool

	body    io.ReadCloser
	mu      sync.Mutex
	cancel  context.CancelFunc // ends the current attempt
	timer   *time.Timer
	stalled atomic.Bool

	start, read int64 // offset of the first byte; bytes delivered
	failures    int   // consecutive attempts without progress
}

func newWatchedBody(t *transport, req *http.Request, resp *http.Response, cancel context.CancelFunc) *watchedBody {
	root := req
	for root.Response != nil && root.Response.Request != nil {
		root = root.Response.Request
	}
	b := &watchedBody{
		t: t, ctx: req.Context(), root: root, url: root.URL.Redacted(),
		resume: isBlob(req),
		body:   resp.Body, cancel: cancel,
	}
	if resp.StatusCode == http.StatusPartialContent {
		b.start, _ = contentRangeStart(resp.Header.Get("Content-Range"))
	}
	b.timer = time.AfterFunc(time.Hour, func() {
		b.stalled.Store(true)
		b.mu.Lock()
		b.cancel()
		b.mu.Unlock()
	})
	b.timer.Stop()
	return b
}

func (b *watchedBody) Read(p []byte) (int, error) {
	for {
		b.mu.Lock()
		body := b.body
		b.mu.Unlock()
		b.stalled.Store(false)
		b.timer.Reset(b.t.stallTimeout)
		n, err := body.Read(p)
		b.timer.Stop()
		b.read += int64(n)
		if n > 0 {
			b.failures = 0
		}
		if err == nil || (errors.Is(err, io.EOF) && !b.stalled.Load()) {
			return n, err
		}
		if b.ctx.Err() != nil {
			return n, err // the caller gave up
		}
		cause := err
		if b.stalled.Load() {
			cause = fmt.Errorf("no data received for %v", b.t.stallTimeout)
		}
		if !b.resume {
			return n, fmt.Errorf("reading %s: %w", b.url, cause)
		}
		if err := b.reopen(cause); err != nil {
			return n, err
		}
		if n > 0 {
			return n, nil
		}
	}
}

// reopen replaces the broken body by one starting at the offset reached,
// waiting between attempts; it gives up after the transport's attempts.
func (b *watchedBody) reopen(cause error) error {
	b.closeCurrent()
	for {
		b.failures++
		if b.failures >= b.t.attempts {
			return fmt.Errorf("downloading %s: %w (gave up after %d attempts without progress)", b.url, cause, b.failures)
		}
		wait := b.t.backoff << (b.failures - 1)
		offset := b.start + b.read
		log.G(b.ctx).WithError(cause).WithField("url", b.url).WithField("offset", offset).
			Infof("download interrupted; resuming in %v", wait)
		notifyRetry(b.ctx, Retry{Offset: offset, Delay: wait, Attempt: b.failures, Err: cause})
		if err := sleep(b.ctx, wait); err != nil {
			return err
		}
		body, cancel, err := b.open(offset)
		if err == nil {
			b.mu.Lock()
			b.body, b.cancel = body, cancel
			b.mu.Unlock()
			return nil
		}
		var final finalError
		if errors.As(err, &final) {
			return fmt.Errorf("downloading %s: %w", b.url, err)
		}
		cause = err
	}
}

// finalError is an answer to a resumed request that another attempt would
// not change (the blob is gone, access was withdrawn).
type finalError struct{ status string }

func (e finalError) Error() string { return "resuming: " + e.status }

// open requests the blob again from offset, following redirects as the
// first request did (and with the same credentials rules).
func (b *watchedBody) open(offset int64) (io.ReadCloser, context.CancelFunc, error) {
	actx, cancel := context.WithCancel(b.ctx)
	req := b.root.Clone(actx)
	req.Header.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-")
	client := &http.Client{Transport: b.t.next, CheckRedirect: checkRedirect}
	resp, err := client.Do(req)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	switch resp.StatusCode {
	case http.StatusPartialContent:
		if got, ok := contentRangeStart(resp.Header.Get("Content-Range")); ok && got == offset {
			return resp.Body, cancel, nil
		}
		err = fmt.Errorf("resumed at the wrong offset (Content-Range %q, want %d)", resp.Header.Get("Content-Range"), offset)
	case http.StatusOK:
		// No range support: skip what was already delivered.
		if _, err = io.CopyN(io.Discard, resp.Body, offset); err == nil {
			return resp.Body, cancel, nil
		}
	case http.StatusTooManyRequests, http.StatusRequestTimeout:
		err = fmt.Errorf("resuming: %s", resp.Status)
	default:
		if resp.StatusCode >= 500 {
			err = fmt.Errorf("resuming: %s", resp.Status)
		} else {
			err = finalError{status: resp.Status}
		}
	}
	resp.Body.Close()
	cancel()
	return nil, nil, err
}

func (b *watchedBody) closeCurrent() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.body.Close()
	b.cancel()
}

func (b *watchedBody) Close() error {
	b.timer.Stop()
	b.mu.Lock()
	defer b.mu.Unlock()
	err := b.body.Close()
	b.cancel()
	return err
}

// contentRangeStart reads the first offset of "bytes N-M/T".
func contentRangeStart(s string) (int64, bool) {
	rest, ok := strings.CutPrefix(s, "bytes ")
	if !ok {
		return 0, false
	}
	first, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(first, 10, 64)
	return n, err == nil && n >= 0
}
