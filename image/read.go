package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/errdefs"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ReadManifest reads and decodes the manifest desc points at. A missing blob
// is a not-found error; content that does not decode is errdefs.ErrDataLoss
// (as for every reader here); a manifest larger than MaxManifestSize is
// refused before it is read (or fetched, through a fetching provider).
func ReadManifest(ctx context.Context, provider content.Provider, desc ocispec.Descriptor) (ocispec.Manifest, error) {
	var m ocispec.Manifest
	if err := readJSON(ctx, provider, desc, &m, CheckManifestSize); err != nil {
		return ocispec.Manifest{}, err
	}
	return m, nil
}

// ReadIndex reads and decodes the index desc points at (at most
// MaxManifestSize).
func ReadIndex(ctx context.Context, provider content.Provider, desc ocispec.Descriptor) (ocispec.Index, error) {
	var idx ocispec.Index
	if err := readJSON(ctx, provider, desc, &idx, CheckManifestSize); err != nil {
		return ocispec.Index{}, err
	}
	return idx, nil
}

// ReadConfig reads an image config blob (at most MaxConfigSize) as Docker's
// extended OCI image config (Config with Healthcheck, OnBuild, Shell;
// History; RootFS).
func ReadConfig(ctx context.Context, provider content.Provider, configDesc ocispec.Descriptor) (dockerspec.DockerOCIImage, error) {
	var img dockerspec.DockerOCIImage
	if err := ReadConfigInto(ctx, provider, configDesc, &img); err != nil {
		return dockerspec.DockerOCIImage{}, err
	}
	return img, nil
}

// ReadConfigInto decodes an image config blob (at most MaxConfigSize) into
// out, which may be a struct with only the fields the caller needs, so that
// the rest of the config is not kept.
func ReadConfigInto(ctx context.Context, provider content.Provider, configDesc ocispec.Descriptor, out any) error {
	return readJSON(ctx, provider, configDesc, out, CheckConfigSize)
}

// readJSON reads the blob desc and decodes it into out: the one blob reader
// of the image model. check bounds the size, both the descriptor's (before
// anything is read) and the stored blob's. A missing blob keeps the
// provider's error (not found); content that does not decode is
// errdefs.ErrDataLoss.
func readJSON(ctx context.Context, provider content.Provider, desc ocispec.Descriptor, out any, check func(ocispec.Descriptor) error) error {
	if err := check(desc); err != nil {
		return err
	}
	ra, err := provider.ReaderAt(ctx, desc)
	if err != nil {
		return err
	}
	defer ra.Close()
	stored := desc
	stored.Size = ra.Size()
	if err := check(stored); err != nil {
		return err
	}
	data := make([]byte, stored.Size)
	if n, err := ra.ReadAt(data, 0); err != nil && !(errors.Is(err, io.EOF) && int64(n) == stored.Size) {
		return err
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("invalid JSON in %s (%s): %v: %w", desc.Digest, desc.MediaType, err, errdefs.ErrDataLoss)
	}
	return nil
}
