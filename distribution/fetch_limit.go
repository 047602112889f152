package distribution

import (
	"context"
	"io"
	"sync"

	"github.com/containerd/containerd/v2/core/remotes"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/semaphore"
)

// LimitFetches returns a fetcher that holds one of limiter's slots for
// each blob it fetches, from the request until the body has been read to
// its end or closed, whichever comes first: max-concurrent-downloads bounds
// the transfers. containerd's resolver (transfer.WithDownloadLimiter) holds
// the slot until the body is closed, which its fetch does only after the
// content store has fsynced and committed the blob; a pull of many small
// layers then had its next download wait for each commit's fsync. A body
// that is read again after its end (a content writer may ask for a reset)
// reads without a slot.
func LimitFetches(f remotes.Fetcher, limiter *semaphore.Weighted) remotes.Fetcher {
	return limitedFetcher{Fetcher: f, limiter: limiter}
}

type limitedFetcher struct {
	remotes.Fetcher
	limiter *semaphore.Weighted
}

func (f limitedFetcher) Fetch(ctx context.Context, desc ocispec.Descriptor) (io.ReadCloser, error) {
	if err := f.limiter.Acquire(ctx, 1); err != nil {
		return nil, err
	}
	var once sync.Once
	release := func() { once.Do(func() { f.limiter.Release(1) }) }
	rc, err := f.Fetcher.Fetch(ctx, desc)
	if err != nil {
		release()
		return nil, err
	}
	body := &limitedBody{ReadCloser: rc, release: release}
	if s, ok := rc.(io.Seeker); ok {
		// content.Copy seeks to resume a partial download.
		return limitedSeekBody{limitedBody: body, Seeker: s}, nil
	}
	return body, nil
}

// limitedBody gives its fetch's slot back at the end of the body or when
// closed.
type limitedBody struct {
	io.ReadCloser
	release func() // idempotent
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.release()
	}
	return n, err
}

func (b *limitedBody) Close() error {
	b.release()
	return b.ReadCloser.Close()
}

type limitedSeekBody struct {
	*limitedBody
	io.Seeker
}
