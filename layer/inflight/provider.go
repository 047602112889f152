package inflight

import (
	"context"
	"io"
	"sync"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/errdefs"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Provider returns a content provider that reads an expected blob while it
// is written (see the package doc) and every other blob from p.
func (t *Table) Provider(p content.Provider) content.Provider {
	return provider{t: t, p: p}
}

type provider struct {
	t *Table
	p content.Provider
}

func (p provider) ReaderAt(ctx context.Context, desc ocispec.Descriptor) (content.ReaderAt, error) {
	e := p.t.lookup(desc.Digest)
	if e == nil {
		return p.p.ReaderAt(ctx, desc)
	}
	return &reader{
		t: p.t, d: desc.Digest, e: e, size: desc.Size, cancel: ctx.Done(),
		open: func() (content.ReaderAt, error) { return p.p.ReaderAt(ctx, desc) },
	}, nil
}

// reader is a content.ReaderAt over an expected blob: from the followed
// ingest file while it is written, from the store once committed without
// one being followed.
type reader struct {
	t      *Table
	d      digest.Digest
	e      *entry
	size   int64
	cancel <-chan struct{}
	open   func() (content.ReaderAt, error)

	mu     sync.Mutex
	stored content.ReaderAt // opened on first need
	closed bool
}

func (r *reader) Size() int64 { return r.size }

func (r *reader) ReadAt(p []byte, off int64) (int, error) {
	if off >= r.size {
		return 0, io.EOF
	}
	if rest := r.size - off; int64(len(p)) > rest {
		p = p[:rest]
	}
	end := off + int64(len(p))
	for {
		r.e.mu.Lock()
		file, written, broken, done, err, ch := r.e.file, r.e.written, r.e.broken, r.e.done, r.e.err, r.e.changed
		r.e.mu.Unlock()
		switch {
		case broken != nil:
			return 0, broken
		case done && err != nil:
			return 0, err
		case file != nil && written >= end && (end < r.size || done):
			// The blob's last bytes are handed out only once it is committed.
			return readFull(file, p, off)
		case done && (file == nil || written < end):
			stored, err := r.storeReader()
			if err != nil {
				return 0, err
			}
			return stored.ReadAt(p, off)
		}
		select {
		case <-ch:
		case <-r.cancel:
			return 0, context.Canceled
		}
	}
}

// readFull reads len(p) bytes at off, all of which are in f.
func readFull(f io.ReaderAt, p []byte, off int64) (int, error) {
	n, err := f.ReadAt(p, off)
	if n == len(p) {
		return n, nil
	}
	return n, err
}

func (r *reader) storeReader() (content.ReaderAt, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, errdefs.ErrFailedPrecondition.WithMessage("reader closed")
	}
	if r.stored == nil {
		ra, err := r.open()
		if err != nil {
			return nil, err
		}
		r.stored = ra
	}
	return r.stored, nil
}

func (r *reader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	r.t.release(r.d, r.e)
	if r.stored != nil {
		return r.stored.Close()
	}
	return nil
}
