package storage

import (
	"context"
	"os"
	"path/filepath"
	"sync"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
)

// blobIndex wraps the local content store with the set of blob files in
// its directory, so that the metadata database's content sweep, which
// walks the raw store after every collection that removed a blob record
// to delete the files no record names, does not read the directory and
// stat every blob (with 10,000 images: 30,000 files, most of a rmi's time).
//
// The first unfiltered Walk (reconcile's collection, at open) reads the
// directory and fills the set; from then on the set changes only with the
// store's own commits and deletes, which are the only ways blob files come
// and go while berthd runs, and later unfiltered Walks visit the set.
// A file put into the directory behind the store's back is found at the
// next start. A Walk with filters always reads the directory.
type blobIndex struct {
	content.Store
	root string // the store's root: blobs/<algorithm>/<encoded>

	mu      sync.Mutex
	ready   bool // a complete directory walk has filled present
	present map[digest.Digest]struct{}
}

func newBlobIndex(cs content.Store, root string) *blobIndex {
	return &blobIndex{Store: cs, root: root, present: map[digest.Digest]struct{}{}}
}

// Walk calls fn for each blob; once the index is filled the infos carry
// the digest only (the content sweep needs nothing else).
func (x *blobIndex) Walk(ctx context.Context, fn content.WalkFunc, filters ...string) error {
	if len(filters) > 0 {
		return x.Store.Walk(ctx, fn, filters...)
	}
	x.mu.Lock()
	ready := x.ready
	var blobs []digest.Digest
	if ready {
		blobs = make([]digest.Digest, 0, len(x.present))
		for d := range x.present {
			blobs = append(blobs, d)
		}
	}
	x.mu.Unlock()
	if !ready {
		err := x.Store.Walk(ctx, func(info content.Info) error {
			x.add(info.Digest)
			return fn(info)
		})
		if err == nil {
			x.mu.Lock()
			x.ready = true
			x.mu.Unlock()
		}
		return err
	}
	for _, d := range blobs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(content.Info{Digest: d}); err != nil {
			return err
		}
	}
	return nil
}

// Delete removes the blob file and drops it from the index.
func (x *blobIndex) Delete(ctx context.Context, d digest.Digest) error {
	err := x.Store.Delete(ctx, d)
	if err == nil || errdefs.IsNotFound(err) {
		x.mu.Lock()
		delete(x.present, d)
		x.mu.Unlock()
	}
	return err
}

// Writer's commits add their blob to the index.
func (x *blobIndex) Writer(ctx context.Context, opts ...content.WriterOpt) (content.Writer, error) {
	w, err := x.Store.Writer(ctx, opts...)
	if err != nil {
		return w, err
	}
	return &indexedWriter{Writer: w, x: x}, nil
}

func (x *blobIndex) add(d digest.Digest) {
	x.mu.Lock()
	x.present[d] = struct{}{}
	x.mu.Unlock()
}

type indexedWriter struct {
	content.Writer
	x *blobIndex
}

func (w *indexedWriter) Commit(ctx context.Context, size int64, expected digest.Digest, opts ...content.Opt) error {
	err := w.Writer.Commit(ctx, size, expected, opts...)
	d := expected
	if d == "" {
		d = w.Writer.Digest()
	}
	switch {
	case err == nil || errdefs.IsAlreadyExists(err):
		w.x.add(d)
	case d.Validate() == nil:
		// The local store can fail after renaming the file into place
		// (syncing the directory): then the file is there all the same.
		if _, serr := os.Lstat(filepath.Join(w.x.root, "blobs", d.Algorithm().String(), d.Encoded())); serr == nil {
			w.x.add(d)
		}
	}
	return err
}
