package image

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/errdefs"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ReadManifest reads and decodes the manifest desc points at. A missing blob
// is a not-found error; content that does not decode is errdefs.ErrDataLoss
// (as for every reader here).
func ReadManifest(ctx context.Context, provider content.Provider, desc ocispec.Descriptor) (ocispec.Manifest, error) {
	var m ocispec.Manifest
	if err := ReadJSON(ctx, provider, desc, &m); err != nil {
		return ocispec.Manifest{}, err
	}
	return m, nil
}

// ReadIndex reads and decodes the index desc points at.
func ReadIndex(ctx context.Context, provider content.Provider, desc ocispec.Descriptor) (ocispec.Index, error) {
	var idx ocispec.Index
	if err := ReadJSON(ctx, provider, desc, &idx); err != nil {
		return ocispec.Index{}, err
	}
	return idx, nil
}

// ReadConfig reads an image config blob as Docker's extended OCI image
// config (Config with Healthcheck, OnBuild, Shell; History; RootFS).
func ReadConfig(ctx context.Context, provider content.Provider, configDesc ocispec.Descriptor) (dockerspec.DockerOCIImage, error) {
	var img dockerspec.DockerOCIImage
	if err := ReadJSON(ctx, provider, configDesc, &img); err != nil {
		return dockerspec.DockerOCIImage{}, err
	}
	return img, nil
}

// ReadJSON reads the blob desc and decodes it into out: the one blob reader
// of the image model. A missing blob keeps the provider's error (not found);
// content that does not decode is errdefs.ErrDataLoss.
func ReadJSON(ctx context.Context, provider content.Provider, desc ocispec.Descriptor, out any) error {
	data, err := content.ReadBlob(ctx, provider, desc)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("invalid JSON in %s (%s): %v: %w", desc.Digest, desc.MediaType, err, errdefs.ErrDataLoss)
	}
	return nil
}
