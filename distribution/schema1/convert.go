package schema1

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/berth-dev/berth/daemon/config"
	"github.com/berth-dev/berth/image"
)

// AnnotationSchema1Digest is set on the converted OCI manifest (and is the
// label key suggested for the image record): the digest of the schema 1
// manifest it was converted from, which RepoDigests must show.
const AnnotationSchema1Digest = "dev.berth.schema1.digest"

// defaultConcurrency caps downloads when the Converter has no Limiter: the
// daemon's default max-concurrent-downloads, defined in daemon/config.
const defaultConcurrency = config.DefaultMaxConcurrentDownloads

// Converter turns a schema 1 manifest into an OCI image in Store.
type Converter struct {
	// Store receives the layer blobs, the image config and the manifest.
	Store content.Store
	// Fetcher fetches layer blobs by digest: the fetcher of a containerd
	// docker resolver for the image's repository (it implements
	// remotes.FetcherByDigest).
	Fetcher remotes.FetcherByDigest
	// Progress, if set, observes each layer blob.
	Progress ProgressObserver
	// Limiter, if set, bounds concurrent blob downloads (share the pull's
	// download semaphore). When nil, at most 3 blobs are fetched at once.
	Limiter *semaphore.Weighted
}

// layerBlob is a stored layer blob and what the conversion needs of it.
type layerBlob struct {
	desc   ocispec.Descriptor // media type from the actual compression
	diffID digest.Digest
}

// Convert fetches the layers of m that are not throwaway into the store
// (skipping blobs already there), computes their diff IDs, writes the image
// config and an OCI image manifest, and returns the manifest descriptor.
//
// The result matches what dockerd ≤ 26 produced for the same manifest:
// layers oldest first without throwaway entries, diff ID = sha256 of the
// decompressed blob, config from the newest v1 JSON with rootfs and
// history. The manifest carries GC labels for its config and layers, so an
// image record pointing at it keeps everything; call Convert under a lease
// so nothing is collected before that record exists.
func (c *Converter) Convert(ctx context.Context, m *Manifest) (ocispec.Descriptor, error) {
	if m == nil || len(m.layers) == 0 {
		return ocispec.Descriptor{}, invalid("schema 1 manifest has no layers")
	}
	if c.Store == nil || c.Fetcher == nil {
		return ocispec.Descriptor{}, fmt.Errorf("schema1: converter needs a store and a fetcher: %w", errdefs.ErrFailedPrecondition)
	}

	var order []digest.Digest // non-throwaway layers, oldest first
	for _, l := range m.layers {
		if !l.Throwaway {
			order = append(order, l.Digest)
		}
	}
	blobs, err := c.layerBlobs(ctx, order)
	if err != nil {
		return ocispec.Descriptor{}, err
	}

	diffIDs := make([]digest.Digest, 0, len(order))
	layers := make([]ocispec.Descriptor, 0, len(order))
	for _, d := range order {
		diffIDs = append(diffIDs, blobs[d].diffID)
		layers = append(layers, blobs[d].desc)
	}

	configJSON, err := imageConfig(m, diffIDs)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	config := ocispec.Descriptor{
		MediaType: ocispec.MediaTypeImageConfig,
		Digest:    digest.FromBytes(configJSON),
		Size:      int64(len(configJSON)),
	}
	if err := c.writeBlob(ctx, config, configJSON, nil); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("schema1: write image config: %w", err)
	}

	manifestJSON, err := json.Marshal(ocispec.Manifest{
		Versioned:   specs.Versioned{SchemaVersion: 2},
		MediaType:   ocispec.MediaTypeImageManifest,
		Config:      config,
		Layers:      layers,
		Annotations: map[string]string{AnnotationSchema1Digest: m.Digest().String()},
	})
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	desc := ocispec.Descriptor{
		MediaType: ocispec.MediaTypeImageManifest,
		Digest:    digest.FromBytes(manifestJSON),
		Size:      int64(len(manifestJSON)),
	}
	labels := image.ManifestGCLabels(ocispec.Manifest{Config: config, Layers: layers})
	if err := c.writeBlob(ctx, desc, manifestJSON, labels); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("schema1: write image manifest: %w", err)
	}
	return desc, nil
}

// layerBlobs makes sure every distinct digest of order is in the store and
// describes it. Blobs already present are reported and not fetched.
func (c *Converter) layerBlobs(ctx context.Context, order []digest.Digest) (map[digest.Digest]layerBlob, error) {
	var unique []digest.Digest
	present := map[digest.Digest]bool{}
	for _, d := range order {
		if _, seen := present[d]; seen {
			continue
		}
		unique = append(unique, d)
		info, err := c.Store.Info(ctx, d)
		switch {
		case err == nil:
			present[d] = true
			c.emit(ProgressEvent{Kind: LayerExists, Digest: d, Current: info.Size, Total: info.Size})
		case errdefs.IsNotFound(err):
			present[d] = false
		default:
			return nil, fmt.Errorf("schema1: layer %s: %w", d, err)
		}
	}
	for _, d := range unique {
		if !present[d] {
			c.emit(ProgressEvent{Kind: LayerQueued, Digest: d, Total: -1})
		}
	}

	limiter := c.Limiter
	if limiter == nil {
		limiter = semaphore.NewWeighted(defaultConcurrency)
	}
	results := make([]layerBlob, len(unique))
	eg, ctx := errgroup.WithContext(ctx)
	for i, d := range unique {
		eg.Go(func() error {
			if !present[d] {
				if err := c.download(ctx, limiter, d); err != nil {
					return err
				}
			}
			b, err := c.describe(ctx, d)
			results[i] = b
			return err
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	out := make(map[digest.Digest]layerBlob, len(unique))
	for i, d := range unique {
		out[d] = results[i]
	}
	return out, nil
}

// writeBlob stores data as desc with labels; if the blob already exists,
// the labels are set on it.
func (c *Converter) writeBlob(ctx context.Context, desc ocispec.Descriptor, data []byte, labels map[string]string) error {
	return image.WriteBlob(ctx, c.Store, desc, data, labels)
}

func (c *Converter) emit(e ProgressEvent) {
	if c.Progress != nil {
		c.Progress.LayerProgress(e)
	}
}
