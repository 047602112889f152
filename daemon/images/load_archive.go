package images

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images/archive"
	"github.com/containerd/errdefs"
	"github.com/google/uuid"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// archiveStore is the content store as archive.ImportIndex sees it during a
// load. Every file of the archive passes its Writer: names that leave the
// archive ("../x", "/x") are refused, a file under blobs/<alg>/ must hash to
// its name, and ingests get refs private to this load (so concurrent loads
// of archives with the same file names do not lock each other out).
type archiveStore struct {
	content.Store
	prefix string

	mu   sync.Mutex
	refs []string
}

func newArchiveStore(cs content.Store) *archiveStore {
	return &archiveStore{Store: cs, prefix: "load-" + uuid.NewString() + "-"}
}

// Writer implements content.Ingester.
func (a *archiveStore) Writer(ctx context.Context, opts ...content.WriterOpt) (content.Writer, error) {
	var wo content.WriterOpts
	for _, o := range opts {
		if err := o(&wo); err != nil {
			return nil, err
		}
	}
	var expected digest.Digest
	if name, ok := strings.CutPrefix(wo.Ref, "tar-"); ok {
		if err := checkEntryName(name); err != nil {
			return nil, err
		}
		expected = blobDigest(name)
	}
	ref := a.prefix + wo.Ref
	a.mu.Lock()
	a.refs = append(a.refs, ref)
	a.mu.Unlock()
	w, err := a.Store.Writer(ctx, content.WithRef(ref), content.WithDescriptor(wo.Desc))
	if err != nil {
		return nil, storeFailure(err)
	}
	return &archiveWriter{Writer: w, name: strings.TrimPrefix(wo.Ref, "tar-"), expected: expected}, nil
}

// abort drops what this load was still ingesting.
func (a *archiveStore) abort(ctx context.Context) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, ref := range a.refs {
		_ = a.Store.Abort(ctx, ref)
	}
}

// checkEntryName refuses archive entries that would point outside it.
func checkEntryName(name string) error {
	clean := path.Clean(name)
	if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid image archive: entry %q points outside the archive", name))
	}
	return nil
}

// blobDigest is the digest an OCI layout blob path names, if it names one.
func blobDigest(name string) digest.Digest {
	rest, ok := strings.CutPrefix(name, ocispec.ImageBlobsDir+"/")
	if !ok {
		return ""
	}
	alg, enc, ok := strings.Cut(rest, "/")
	if !ok {
		return ""
	}
	d := digest.NewDigestFromEncoded(digest.Algorithm(alg), enc)
	if d.Validate() != nil {
		return ""
	}
	return d
}

// archiveWriter commits a blob under the digest its name promises.
type archiveWriter struct {
	content.Writer
	name     string
	expected digest.Digest
}

func (w *archiveWriter) Write(p []byte) (int, error) {
	n, err := w.Writer.Write(p)
	if err != nil {
		err = storeFailure(err)
	}
	return n, err
}

func (w *archiveWriter) Commit(ctx context.Context, size int64, expected digest.Digest, opts ...content.Opt) error {
	if expected == "" {
		expected = w.expected
	}
	err := w.Writer.Commit(ctx, size, expected, opts...)
	switch {
	case err == nil, errdefs.IsAlreadyExists(err):
		return err
	case w.expected != "" && errdefs.IsFailedPrecondition(err):
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(
			"invalid image archive: %s does not match its digest (it hashes to %s)", w.name, w.Writer.Digest()))
	}
	return storeFailure(err)
}

// storeFailure marks an error of the content store itself (not of the
// archive) as internal, so it is not reported as bad input.
func storeFailure(err error) error {
	if errdefs.IsInvalidArgument(err) || errdefs.IsInternal(err) || errdefs.IsCanceled(err) || errors.Is(err, context.Canceled) {
		return err
	}
	return fmt.Errorf("%w: %w", errdefs.ErrInternal, err)
}

// importArchive reads a (decompressed) docker-archive or OCI layout tar
// into cs with containerd's importer and returns the descriptor of its
// index: index.json, or the one synthesised from manifest.json.
func importArchive(ctx context.Context, cs content.Store, r io.Reader) (ocispec.Descriptor, error) {
	as := newArchiveStore(cs)
	tr := &trailerReader{r: r}
	idx, err := archive.ImportIndex(ctx, as, tr)
	if err == nil && tr.n > 0 && !tr.ended() {
		err = errdefs.ErrInvalidArgument.WithMessage("invalid image archive: truncated: the tar ends without its end-of-archive marker")
	}
	if err != nil {
		as.abort(context.WithoutCancel(ctx))
		if errors.Is(err, io.ErrUnexpectedEOF) && tr.goesOn() {
			// Not the archive's end: one of its JSON files (manifest.json,
			// oci-layout) ended early, or went past what the importer reads.
			return ocispec.Descriptor{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(
				"invalid image archive: %v: the JSON ends early or is larger than %d MiB", err, archiveJSONLimit>>20))
		}
		// archiveError says so of an unexpected EOF itself.
		if tr.n > 0 && !tr.ended() && !errors.Is(err, io.ErrUnexpectedEOF) && !errdefs.IsInvalidArgument(err) && !errdefs.IsInternal(err) {
			err = fmt.Errorf("truncated: %w", err)
		}
		return ocispec.Descriptor{}, archiveError(err)
	}
	return idx, nil
}

// trailerReader remembers the last two tar blocks read, so that a tar cut
// at an entry boundary (which archive/tar takes for a clean end) is told
// from a complete one: a complete tar ends with two zero blocks.
type trailerReader struct {
	r    io.Reader
	n    int64
	tail []byte
}

const tarTrailer = 2 * 512

func (t *trailerReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 {
		t.n += int64(n)
		t.tail = append(t.tail, p[:n]...)
		if len(t.tail) > tarTrailer {
			t.tail = append(t.tail[:0], t.tail[len(t.tail)-tarTrailer:]...)
		}
	}
	return n, err
}

// archiveJSONLimit is how much of a JSON file of an archive containerd's
// importer reads (its jsonLimit).
const archiveJSONLimit = 20 << 20

// goesOn reports whether the archive has bytes after those read so far
// (it reads one).
func (t *trailerReader) goesOn() bool {
	n, _ := t.r.Read(make([]byte, 1))
	return n > 0
}

// ended reports whether the last bytes read were the end-of-archive marker.
func (t *trailerReader) ended() bool {
	if len(t.tail) < tarTrailer {
		return false
	}
	for _, b := range t.tail {
		if b != 0 {
			return false
		}
	}
	return true
}

// archiveError classifies an import failure: the archive is at fault unless
// the store failed or the request ended.
func archiveError(err error) error {
	switch {
	case errdefs.IsInvalidArgument(err), errdefs.IsInternal(err), errdefs.IsCanceled(err),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errdefs.ErrInvalidArgument.WithMessage("invalid image archive: truncated: " + err.Error())
	}
	return errdefs.ErrInvalidArgument.WithMessage("invalid image archive: " + err.Error())
}
