package layer

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"fmt"
	"io"

	"github.com/containerd/containerd/v2/pkg/archive/compression"
	"github.com/containerd/errdefs"
	"github.com/ulikunitz/xz"
)

var (
	bzip2Magic = []byte("BZh")
	xzMagic    = []byte{0xFD, '7', 'z', 'X', 'Z', 0x00}
)

// Decompress returns the decompressed stream of r, whatever dockerd accepts
// for image archives and root-fs tarballs: gzip, zstd, bzip2, xz or plain,
// told apart by their magic numbers. A stream that claims a format and then
// breaks it fails on read.
func Decompress(r io.Reader) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(len(xzMagic))
	if err != nil && err != io.EOF {
		return nil, err
	}
	switch {
	case bytes.HasPrefix(head, xzMagic):
		xr, err := xz.NewReader(br)
		if err != nil {
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid xz stream: %v", err))
		}
		return io.NopCloser(xr), nil
	case len(head) > 3 && bytes.HasPrefix(head, bzip2Magic) && head[3] >= '1' && head[3] <= '9':
		return io.NopCloser(bzip2.NewReader(br)), nil
	}
	dr, err := compression.DecompressStream(br)
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid compressed stream: %v", err))
	}
	return dr, nil
}
