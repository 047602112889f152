package images

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/distribution"
)

// layerRetry is a retry the registry transport announced for a layer: the
// layer's line counts down "Retrying in N seconds", as dockerd's download
// manager, until bytes beyond offset arrive and it shows "Downloading" again.
type layerRetry struct {
	until  time.Time
	offset int64 // bytes the download had when it was interrupted
	shown  int   // seconds on the line last sent
}

// retryStatus is dockerd's wording ("second" when there is one).
func retryStatus(seconds int) string {
	if seconds == 1 {
		return "Retrying in 1 second"
	}
	return fmt.Sprintf("Retrying in %d seconds", seconds)
}

// observeRetries returns fetcher with each fetch carrying the retry
// observer of its layer on its context, for the transport to report to.
func (p *pullProgress) observeRetries(fetcher remotes.Fetcher) remotes.Fetcher {
	return retryReporter{Fetcher: fetcher, p: p}
}

type retryReporter struct {
	remotes.Fetcher
	p *pullProgress
}

func (f retryReporter) Fetch(ctx context.Context, desc ocispec.Descriptor) (io.ReadCloser, error) {
	return f.Fetcher.Fetch(distribution.WithRetryObserver(ctx, layerRetries{p: f.p, digest: desc.Digest}), desc)
}

// layerRetries is the distribution.RetryObserver of one blob's fetch.
type layerRetries struct {
	p      *pullProgress
	digest digest.Digest
}

func (o layerRetries) Retrying(r distribution.Retry) { o.p.retrying(o.digest, r, time.Now()) }

// retrying shows a retry of the download of the layer d (other blobs
// have no line).
func (p *pullProgress) retrying(d digest.Digest, r distribution.Retry, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, lp := range p.layers {
		if lp.desc.Digest != d || lp.phase >= phaseDownloaded {
			continue
		}
		lp.retry = &layerRetry{until: now.Add(r.Delay), offset: r.Offset}
		p.countDown(lp, now)
	}
}

// countDown sends the retry line of lp when its whole seconds changed;
// it stays at 1 second until bytes flow. Caller holds mu.
func (p *pullProgress) countDown(lp *layerProgress, now time.Time) {
	left := lp.retry.until.Sub(now)
	seconds := max(int((left+time.Second-1)/time.Second), 1)
	if seconds == lp.retry.shown {
		return
	}
	lp.retry.shown = seconds
	_ = p.out.WriteMessage(layerStatus(lp.id, retryStatus(seconds), nil))
}

// retryOver reports whether the download of lp, now at offset bytes, is
// past its retry (or has none); when it just got past, the next
// "Downloading" line is sent even if its numbers repeat. Caller holds mu.
func (p *pullProgress) retryOver(lp *layerProgress, offset int64, now time.Time) bool {
	if lp.retry == nil {
		return true
	}
	if offset <= lp.retry.offset {
		p.countDown(lp, now)
		return false
	}
	lp.retry = nil
	lp.sent = jsonstream.Progress{}
	return true
}
