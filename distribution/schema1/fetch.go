package schema1

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/pkg/archive/compression"
	"github.com/containerd/containerd/v2/pkg/labels"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/semaphore"
)

// download fetches blob d into the store through a resumable ingest keyed
// "layer-<digest>" (containerd's key for layers). Content that does not
// match d is discarded (the ingest is aborted) and reported as invalid.
func (c *Converter) download(ctx context.Context, limiter *semaphore.Weighted, d digest.Digest) error {
	if err := limiter.Acquire(ctx, 1); err != nil {
		return err
	}
	defer limiter.Release(1)

	// Open the ingest first: another pull holding the same ref makes this
	// wait, and a blob committed meanwhile needs no request at all.
	ref := "layer-" + d.String()
	cw, err := content.OpenWriter(ctx, c.Store, content.WithRef(ref),
		content.WithDescriptor(ocispec.Descriptor{Digest: d}))
	if err != nil {
		if errdefs.IsAlreadyExists(err) {
			info, ierr := c.Store.Info(ctx, d)
			if ierr != nil {
				return fmt.Errorf("schema1: layer %s: %w", d, ierr)
			}
			c.emit(ProgressEvent{Kind: LayerExists, Digest: d, Current: info.Size, Total: info.Size})
			return nil
		}
		return fmt.Errorf("schema1: layer %s: %w", d, err)
	}
	defer cw.Close()

	rc, fetched, err := c.Fetcher.FetchByDigest(ctx, d)
	if err != nil {
		return fmt.Errorf("schema1: fetch layer %s: %w", d, err)
	}
	defer rc.Close()
	size := fetched.Size // -1 (or 0) when the registry did not say

	st, err := cw.Status()
	if err != nil {
		return fmt.Errorf("schema1: layer %s: %w", d, err)
	}
	if _, seekable := rc.(io.Seeker); st.Offset > 0 && !seekable {
		if err := cw.Truncate(0); err != nil {
			return fmt.Errorf("schema1: layer %s: %w", d, err)
		}
		st.Offset = 0
	}
	if size <= 0 {
		size = -1
	}
	pr := &progressReader{r: rc, emit: c.emit, dgst: d, total: size}
	pr.start(st.Offset)
	if err := content.Copy(ctx, cw, pr, max(size, 0), d); err != nil {
		if errdefs.IsFailedPrecondition(err) {
			// Wrong digest or size: never resume from these bytes.
			cw.Close()
			if aerr := c.Store.Abort(ctx, ref); aerr != nil && !errdefs.IsNotFound(aerr) {
				log.G(ctx).WithError(aerr).WithField("ref", ref).Warn("schema1: abort ingest")
			}
			return invalid("filesystem layer verification failed for digest %s: %v", d, err)
		}
		return fmt.Errorf("schema1: download layer %s: %w", d, err)
	}
	info, err := c.Store.Info(ctx, d)
	if err != nil {
		return fmt.Errorf("schema1: layer %s: %w", d, err)
	}
	c.emit(ProgressEvent{Kind: LayerDownloading, Digest: d, Current: info.Size, Total: info.Size})
	c.emit(ProgressEvent{Kind: LayerDownloaded, Digest: d, Current: info.Size, Total: info.Size})
	return nil
}

// describe returns the layer descriptor (media type from the blob's actual
// compression) and diff ID of stored blob d. The diff ID is the sha256 of
// the decompressed stream, as containerd's applier and dockerd compute it;
// it is cached in the blob's containerd.io/uncompressed label.
func (c *Converter) describe(ctx context.Context, d digest.Digest) (layerBlob, error) {
	info, err := c.Store.Info(ctx, d)
	if err != nil {
		return layerBlob{}, fmt.Errorf("schema1: layer %s: %w", d, err)
	}
	desc := ocispec.Descriptor{Digest: d, Size: info.Size}
	ra, err := c.Store.ReaderAt(ctx, desc)
	if err != nil {
		return layerBlob{}, fmt.Errorf("schema1: layer %s: %w", d, err)
	}
	defer ra.Close()

	head := make([]byte, 10)
	n, err := ra.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		return layerBlob{}, fmt.Errorf("schema1: layer %s: %w", d, err)
	}
	if desc.MediaType, err = layerMediaType(head[:n]); err != nil {
		return layerBlob{}, fmt.Errorf("schema1: layer %s: %w", d, err)
	}

	if cached, err := digest.Parse(info.Labels[labels.LabelUncompressed]); err == nil {
		return layerBlob{desc: desc, diffID: cached}, nil
	}
	dr, err := compression.DecompressStream(content.NewReader(ra))
	if err != nil {
		return layerBlob{}, invalid("layer %s: %v", d, err)
	}
	defer dr.Close()
	digester := digest.Canonical.Digester()
	if _, err := io.Copy(digester.Hash(), dr); err != nil {
		return layerBlob{}, invalid("layer %s: decompress: %v", d, err)
	}
	diffID := digester.Digest()
	if _, err := c.Store.Update(ctx, content.Info{
		Digest: d,
		Labels: map[string]string{labels.LabelUncompressed: diffID.String()},
	}, "labels."+labels.LabelUncompressed); err != nil {
		log.G(ctx).WithError(err).WithField("digest", d).Debug("schema1: cannot cache diff ID label")
	}
	return layerBlob{desc: desc, diffID: diffID}, nil
}

// layerMediaType picks the OCI layer media type for a blob starting with
// head. Compressions containerd cannot apply are refused.
func layerMediaType(head []byte) (string, error) {
	switch {
	case len(head) >= 10 && bytes.HasPrefix(head, []byte("BZh")) && head[3] >= '1' && head[3] <= '9' &&
		bytes.Equal(head[4:10], []byte{0x31, 0x41, 0x59, 0x26, 0x53, 0x59}):
		return "", fmt.Errorf("bzip2 layers are not supported: %w", errdefs.ErrNotImplemented)
	case bytes.HasPrefix(head, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}):
		return "", fmt.Errorf("xz layers are not supported: %w", errdefs.ErrNotImplemented)
	}
	switch compression.DetectCompression(head) {
	case compression.Gzip:
		return ocispec.MediaTypeImageLayerGzip, nil
	case compression.Zstd:
		return ocispec.MediaTypeImageLayerZstd, nil
	}
	return ocispec.MediaTypeImageLayer, nil
}
