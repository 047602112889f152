package schema1

import (
	"context"
	"fmt"
	"io"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/semaphore"

	"github.com/berth-dev/berth/layer"
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
// compression) and diff ID of stored blob d.
func (c *Converter) describe(ctx context.Context, d digest.Digest) (layerBlob, error) {
	info, err := c.Store.Info(ctx, d)
	if err != nil {
		return layerBlob{}, fmt.Errorf("schema1: layer %s: %w", d, err)
	}
	desc := ocispec.Descriptor{Digest: d, Size: info.Size}
	comp, err := layer.DetectBlob(ctx, c.Store, desc)
	if err != nil {
		return layerBlob{}, fmt.Errorf("schema1: layer %s: %w", d, err)
	}
	desc.MediaType = comp.MediaType()
	diffID, err := layer.DiffID(ctx, c.Store, desc)
	switch {
	case errdefs.IsDataLoss(err):
		return layerBlob{}, invalid("%v", err)
	case err != nil:
		return layerBlob{}, fmt.Errorf("schema1: layer %s: %w", d, err)
	}
	return layerBlob{desc: desc, diffID: diffID}, nil
}
