package storage

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/diff"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/klauspost/compress/zstd"

	"github.com/berth-dev/berth/layer"
)

// blobBufferSize is the read size on a blob, whatever reads it (the
// in-process gzip decoder reads 4 KiB at a time, zstd's and tar's a few bytes
// for each header, a child decoder's stdin 32 KiB), so that a blob still
// downloading is read in few, large reads.
const blobBufferSize = 256 << 10

// zstdConcurrency is how many blocks the zstd decoder works on at once. One
// decodes on the applying goroutine; two move decoding to background
// goroutines, beside the untar. On a busy 2-core machine that gained
// nothing and cost ~0.2 CPU s per usr-like pull; on an idle one it takes
// a usr-like zstd pull from 2.39 to 2.19 s (median of 6 alternating pairs,
// 5 wins), for the same CPU and ~5 MiB (see hack/bench/README.md).
const zstdConcurrency = 2

// appliesItself reports whether the applier decompresses and untars a layer
// of mediaType itself: every layer type containerd's applier reads without a
// stream processor (gzip, zstd, plain tar; the compression is then read from
// the blob's first bytes, whatever the type says), when the pull brings no
// processor payloads.
func appliesItself(ctx context.Context, mediaType string, config diff.ApplyConfig) bool {
	if len(config.ProcessorPayloads) > 0 {
		return false
	}
	c, err := images.DiffCompression(ctx, mediaType)
	if err != nil {
		return false
	}
	// A suffix other than the compression (+encrypted) wraps the layer.
	_, ext, wrapped := strings.Cut(mediaType, "+")
	return !wrapped || ext == c
}

// decompress returns the tar stream of the blob ra, compressed as c, and
// the name of its decoder (for the log). Each read of the blob reports the
// compressed bytes read so far to onRead. Closing the stream releases the
// decoder (and stops a child process), not ra.
func (a applier) decompress(ctx context.Context, c layer.Compression, ra content.ReaderAt, onRead func(int64)) (io.ReadCloser, string, error) {
	// Not content.NewReader: it may hand out one shared file offset, and a
	// replacement gzip decoder must read the blob from the start.
	blob := func() io.Reader {
		return bufio.NewReaderSize(&countingReader{r: io.NewSectionReader(ra, 0, ra.Size()), onRead: onRead}, blobBufferSize)
	}
	switch c {
	case layer.Gzip:
		r, err := a.gunzip.Reader(ctx, func() (io.ReadCloser, error) { return io.NopCloser(blob()), nil })
		return r, a.gunzip.Decoder(), err
	case layer.Zstd:
		// The blob's sha256 is verified by the content store before the
		// apply completes (layer/inflight): the frames' own checksums
		// would verify the same bytes a second time. Low-memory mode stays
		// on (no measurable speed difference without it): off, a frame's
		// history buffer is twice its window, and a 112 KiB layer
		// declaring the largest window the decoder accepts (512 MiB, as
		// containerd's) costs 1 GiB of RSS instead of 512 MiB.
		zr, err := zstd.NewReader(blob(),
			zstd.WithDecoderConcurrency(zstdConcurrency), zstd.IgnoreChecksum(true))
		if err != nil {
			return nil, "", fmt.Errorf("invalid zstd stream: %w", err)
		}
		return zr.IOReadCloser(), "zstd", nil
	}
	return io.NopCloser(blob()), "none", nil
}
