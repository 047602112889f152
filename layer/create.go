package layer

import (
	"archive/tar"
	"bufio"
	"context"
	"io"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/pkg/labels"
	"github.com/containerd/errdefs"
	"github.com/google/uuid"
	"github.com/klauspost/compress/gzip"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Stored is a layer blob written to the content store.
type Stored struct {
	// Descriptor describes the blob: media type, digest and size.
	Descriptor ocispec.Descriptor
	// DiffID is the digest of the uncompressed tar.
	DiffID digest.Digest
}

// Create writes the uncompressed tar stream r into cs as a gzip-compressed
// layer blob. In the same pass it checks that r is a tar archive and
// computes the blob's digest and the diff ID. A stream that is not a tar
// archive is an invalid-argument error and leaves nothing in cs.
func Create(ctx context.Context, cs content.Store, r io.Reader) (Stored, error) {
	return create(ctx, cs, externalReader{r})
}

// Import stores the layer archive r, plain or compressed with gzip, zstd,
// bzip2 or xz, as a layer blob: gzip and zstd archives are kept as they
// are (so their digest is the archive's), the others are stored gzipped.
// Like Create it reads r once, checks the tar and computes both digests.
func Import(ctx context.Context, cs content.Store, r io.Reader) (Stored, error) {
	br := bufio.NewReaderSize(externalReader{r}, 64<<10)
	c, err := peekArchiveCompression(br)
	if err != nil {
		return Stored{}, classifyError(err)
	}
	switch c {
	case archiveGzip, archiveZstd:
		mediaType := ocispec.MediaTypeImageLayerGzip
		if c == archiveZstd {
			mediaType = ocispec.MediaTypeImageLayerZstd
		}
		return store(ctx, cs, mediaType, func(w io.Writer) (digest.Digest, error) {
			blob := io.TeeReader(br, w)
			dr, err := decompressArchive(c, blob)
			if err != nil {
				return "", err
			}
			diffID, err := readTar(dr)
			dr.Close()
			if err != nil {
				return "", err
			}
			// Whatever follows the compressed stream is part of the blob.
			if _, err := io.Copy(io.Discard, blob); err != nil {
				return "", err
			}
			return diffID, nil
		})
	}
	dr, err := decompressArchive(c, br)
	if err != nil {
		return Stored{}, classifyError(err)
	}
	defer dr.Close()
	return create(ctx, cs, dr)
}

// create gzips the tar stream r into cs.
func create(ctx context.Context, cs content.Store, r io.Reader) (Stored, error) {
	return store(ctx, cs, ocispec.MediaTypeImageLayerGzip, func(w io.Writer) (digest.Digest, error) {
		gz := gzip.NewWriter(w)
		diffID, err := readTar(io.TeeReader(r, gz))
		if err != nil {
			return "", err
		}
		return diffID, gz.Close()
	})
}

// readTar reads the tar stream r to its end, checking every header, and
// returns the digest of all its bytes (the diff ID).
func readTar(r io.Reader) (digest.Digest, error) {
	d := digest.Canonical.Digester()
	all := io.TeeReader(r, d.Hash())
	tr := tar.NewReader(all)
	for {
		_, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
	}
	// The padding after the end-of-archive marker counts too.
	if _, err := io.Copy(io.Discard, all); err != nil {
		return "", err
	}
	return d.Digest(), nil
}

// store writes one blob of mediaType into cs with fill, which returns the
// diff ID of what it wrote. Nothing is left behind when fill fails; its
// error is an invalid archive unless the source or the store failed.
func store(ctx context.Context, cs content.Store, mediaType string, fill func(io.Writer) (digest.Digest, error)) (Stored, error) {
	ref := "berth-layer-" + uuid.NewString()
	cw, err := content.OpenWriter(ctx, cs, content.WithRef(ref))
	if err != nil {
		return Stored{}, err
	}
	abort := func(err error) (Stored, error) {
		cw.Close()
		_ = cs.Abort(context.WithoutCancel(ctx), ref) // gone already if committed
		return Stored{}, err
	}
	counter := &countingWriter{w: cw}
	buf := bufio.NewWriterSize(externalWriter{counter}, 1<<20)
	diffID, err := fill(buf)
	if err == nil {
		err = buf.Flush()
	}
	if err != nil {
		return abort(classifyError(err))
	}
	desc := ocispec.Descriptor{MediaType: mediaType, Digest: cw.Digest(), Size: counter.n}
	err = cw.Commit(ctx, desc.Size, desc.Digest, content.WithLabels(map[string]string{
		labels.LabelUncompressed: diffID.String(),
	}))
	if err != nil {
		if !errdefs.IsAlreadyExists(err) {
			return abort(err)
		}
		_, _ = abort(err) // the store holds this blob already
		return Stored{Descriptor: desc, DiffID: diffID}, nil
	}
	cw.Close()
	return Stored{Descriptor: desc, DiffID: diffID}, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
