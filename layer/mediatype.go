package layer

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/pkg/archive/compression"
	"github.com/containerd/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Compression is how a layer blob is compressed: the ones containerd's
// applier can read.
type Compression int

const (
	Uncompressed Compression = iota // a plain tar
	Gzip
	Zstd
)

// String names the compression as media type suffixes do.
func (c Compression) String() string {
	switch c {
	case Gzip:
		return "gzip"
	case Zstd:
		return "zstd"
	}
	return "uncompressed"
}

// MediaType is the OCI layer media type of a blob with compression c.
func (c Compression) MediaType() string {
	switch c {
	case Gzip:
		return ocispec.MediaTypeImageLayerGzip
	case Zstd:
		return ocispec.MediaTypeImageLayerZstd
	}
	return ocispec.MediaTypeImageLayer
}

// IsMediaType reports whether mediaType is a layer type (OCI or Docker,
// compressed or not, foreign or not), as containerd counts them.
func IsMediaType(mediaType string) bool {
	return images.IsLayerType(mediaType)
}

// headSize is how many bytes Detect needs.
const headSize = 10

// Detect reads a blob's compression from its first bytes. Compressions the
// applier cannot read (bzip2, xz) are refused with errdefs.ErrNotImplemented.
func Detect(head []byte) (Compression, error) {
	switch {
	case len(head) >= headSize && bytes.HasPrefix(head, []byte("BZh")) && head[3] >= '1' && head[3] <= '9' &&
		bytes.Equal(head[4:10], []byte{0x31, 0x41, 0x59, 0x26, 0x53, 0x59}):
		return 0, fmt.Errorf("bzip2 layers are not supported: %w", errdefs.ErrNotImplemented)
	case bytes.HasPrefix(head, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}):
		return 0, fmt.Errorf("xz layers are not supported: %w", errdefs.ErrNotImplemented)
	}
	switch compression.DetectCompression(head) {
	case compression.Gzip:
		return Gzip, nil
	case compression.Zstd:
		return Zstd, nil
	}
	return Uncompressed, nil
}

// DetectBlob reads the compression of the stored blob desc.
func DetectBlob(ctx context.Context, provider content.Provider, desc ocispec.Descriptor) (Compression, error) {
	ra, err := provider.ReaderAt(ctx, desc)
	if err != nil {
		return 0, err
	}
	defer ra.Close()
	head := make([]byte, headSize)
	n, err := ra.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		return 0, err
	}
	return Detect(head[:n])
}
