package layer

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"

	"github.com/containerd/containerd/v2/pkg/archive/compression"
	"github.com/containerd/errdefs"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// archiveCompression is how a layer archive handed to berth is compressed.
type archiveCompression int

const (
	archivePlain archiveCompression = iota
	archiveGzip
	archiveZstd
	archiveBzip2
	archiveXz
)

func (c archiveCompression) String() string {
	switch c {
	case archiveGzip:
		return "gzip"
	case archiveZstd:
		return "zstd"
	case archiveBzip2:
		return "bzip2"
	case archiveXz:
		return "xz"
	}
	return "uncompressed"
}

// peekArchiveCompression tells how br's content is compressed from its first
// bytes, without consuming them. An empty stream is an uncompressed (empty)
// archive.
func peekArchiveCompression(br *bufio.Reader) (archiveCompression, error) {
	head, err := br.Peek(10)
	if err != nil && err != io.EOF {
		return archivePlain, err
	}
	switch compression.DetectCompression(head) {
	case compression.Gzip:
		return archiveGzip, nil
	case compression.Zstd:
		return archiveZstd, nil
	}
	switch {
	case bytes.HasPrefix(head, []byte("BZh")):
		return archiveBzip2, nil
	case bytes.HasPrefix(head, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}):
		return archiveXz, nil
	}
	return archivePlain, nil
}

// decompressArchive returns a reader of the uncompressed content of r,
// compressed as c.
func decompressArchive(c archiveCompression, r io.Reader) (io.ReadCloser, error) {
	var (
		out io.ReadCloser
		err error
	)
	switch c {
	case archivePlain:
		return io.NopCloser(r), nil
	case archiveGzip:
		out, err = gzip.NewReader(r)
	case archiveZstd:
		var d *zstd.Decoder
		if d, err = zstd.NewReader(r, zstd.WithDecoderConcurrency(1)); err == nil {
			out = d.IOReadCloser()
		}
	case archiveBzip2:
		out = io.NopCloser(bzip2.NewReader(r))
	case archiveXz:
		var xr *xz.Reader
		if xr, err = xz.NewReader(r); err == nil {
			out = io.NopCloser(xr)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c, err)
	}
	return out, nil
}

// Uncompress returns the uncompressed content of r, a layer archive that is
// plain or compressed with gzip, zstd, bzip2 or xz (told apart by its first
// bytes). Reading a corrupt stream fails with an invalid-argument error.
func Uncompress(r io.Reader) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(externalReader{r}, 32<<10)
	c, err := peekArchiveCompression(br)
	if err != nil {
		return nil, classifyError(err)
	}
	dr, err := decompressArchive(c, br)
	if err != nil {
		return nil, classifyError(err)
	}
	return readCloser{Reader: invalidOnError{dr}, Closer: dr}, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// externalError is an error of reading the archive's source (a client that
// went away, a cancelled request) or of writing the blob (a full disk):
// not the archive's fault, unlike every other error met while reading it.
type externalError struct{ err error }

func (e externalError) Error() string { return e.err.Error() }
func (e externalError) Unwrap() error { return e.err }

// externalReader marks the errors of the archive's source.
type externalReader struct{ r io.Reader }

func (s externalReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		err = externalError{err}
	}
	return n, err
}

// externalWriter marks the errors of the blob's writer.
type externalWriter struct{ w io.Writer }

func (s externalWriter) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	if err != nil {
		err = externalError{err}
	}
	return n, err
}

// invalidOnError classifies the errors of a reader over an externalReader.
type invalidOnError struct{ r io.Reader }

func (i invalidOnError) Read(p []byte) (int, error) {
	n, err := i.r.Read(p)
	return n, classifyError(err)
}

// classifyError turns an error met while reading an archive into the
// external error it was, else into an invalid-archive error.
func classifyError(err error) error {
	if err == nil || err == io.EOF || errdefs.IsInvalidArgument(err) {
		return err
	}
	var ext externalError
	if errors.As(err, &ext) {
		return ext.err
	}
	return invalidArchive(err)
}

// invalidArchive classifies err as a malformed layer archive.
func invalidArchive(err error) error {
	return errdefs.ErrInvalidArgument.WithMessage("invalid layer archive: " + err.Error())
}
