package inflight

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/errdefs"
	digest "github.com/opencontainers/go-digest"
)

// WrapStore wraps the local content store rooted at root (containerd's
// plugins/content/local, below the metadata store) so that a writer of an
// expected blob is followed: its ingest data file is opened for reading and
// every write is announced to the blob's readers.
//
// The metadata store hands the local store refs of the form
// "<namespace>/<sequence>/<ref>", where ref names the digest
// ("layer-sha256:…"); the local store keeps an ingest in
// root/ingest/<sha256 of the ref>/data. A writer whose ref names no expected
// digest, or whose data file is not where expected, is not followed (its
// blob is then read from the store once committed).
func (t *Table) WrapStore(cs content.Store, root string) content.Store {
	return &store{Store: cs, t: t, root: root}
}

type store struct {
	content.Store
	t    *Table
	root string
}

func (s *store) Writer(ctx context.Context, opts ...content.WriterOpt) (content.Writer, error) {
	w, err := s.Store.Writer(ctx, opts...)
	if err != nil {
		return w, err
	}
	var wo content.WriterOpts
	for _, o := range opts {
		if err := o(&wo); err != nil {
			return w, nil
		}
	}
	d, ok := refDigest(wo.Ref)
	if !ok {
		return w, nil
	}
	e := s.t.lookup(d)
	if e == nil {
		return w, nil
	}
	st, err := w.Status()
	if err != nil {
		s.t.release(d, e)
		return w, nil
	}
	path := filepath.Join(s.root, "ingest", digest.FromString(wo.Ref).Encoded(), "data")
	if !e.follow(path, st.Offset) {
		s.t.release(d, e)
		return w, nil
	}
	return &writer{Writer: w, t: s.t, d: d, e: e}, nil
}

// refDigest reads the digest at the end of an ingest ref.
func refDigest(ref string) (digest.Digest, bool) {
	i := strings.LastIndex(ref, "sha256:")
	if i < 0 {
		return "", false
	}
	d, err := digest.Parse(ref[i:])
	return d, err == nil
}

// follow starts following the ingest file at path holding offset bytes.
// Only the first writer of a blob is followed, and only while its download
// has not ended.
func (e *entry) follow(path string, offset int64) bool {
	e.mu.Lock()
	busy := e.file != nil || e.done || e.broken != nil
	e.mu.Unlock()
	if busy {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	if fi, err := f.Stat(); err != nil || fi.Size() < offset {
		f.Close()
		return false
	}
	followed := false
	e.update(func(e *entry) {
		if e.file == nil && !e.done && e.broken == nil {
			e.file, e.written, followed = f, offset, true
		}
	})
	if !followed {
		f.Close()
	}
	return followed
}

// writer is a followed content writer.
type writer struct {
	content.Writer
	t         *Table
	d         digest.Digest
	e         *entry
	committed bool
	released  sync.Once
}

func (w *writer) Write(p []byte) (int, error) {
	n, err := w.Writer.Write(p)
	if n > 0 {
		w.e.update(func(e *entry) { e.written += int64(n) })
	}
	if err != nil {
		w.fail(err)
	}
	return n, err
}

func (w *writer) Truncate(size int64) error {
	w.e.mu.Lock()
	rewinds := size < w.e.written
	w.e.mu.Unlock()
	if rewinds {
		// What readers got may not be what will be written now.
		w.fail(errInterrupted)
	}
	return w.Writer.Truncate(size)
}

func (w *writer) Commit(ctx context.Context, size int64, expected digest.Digest, opts ...content.Opt) error {
	err := w.Writer.Commit(ctx, size, expected, opts...)
	if err != nil && !errdefs.IsAlreadyExists(err) {
		w.fail(err)
		return err
	}
	// "Already exists" comes after the size and digest were checked: the
	// bytes followed are the blob's, which another writer (a load, or a
	// pull not following this download) committed first.
	w.committed = true
	w.release()
	return err
}

func (w *writer) Close() error {
	err := w.Writer.Close()
	if !w.committed {
		w.fail(errInterrupted)
	}
	w.release()
	return err
}

// release drops the writer's reference once, at commit or close.
func (w *writer) release() {
	w.released.Do(func() { w.t.release(w.d, w.e) })
}

func (w *writer) fail(err error) {
	w.e.update(func(e *entry) {
		if e.broken == nil {
			e.broken = err
		}
	})
}
