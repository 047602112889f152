package images

import (
	"context"
	"fmt"

	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/jsonstream"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/api/types/backend"
	"github.com/berth-dev/berth/distribution/schema1"
	"github.com/berth-dev/berth/image"
	"github.com/berth-dev/berth/layer"
)

// schema1Gate is the environment variable that re-enables schema 1 pulls.
const schema1Gate = "DOCKER_ENABLE_DEPRECATED_PULL_SCHEMA_1_IMAGE"

// schema1Deprecation is dockerd's notice for schema 1 images.
func schema1Deprecation(ref reference.Named) string {
	return fmt.Sprintf("[DEPRECATION NOTICE] Docker Image Format v1 and Docker Image manifest version 2, schema 1 support is disabled by default and will be removed in an upcoming release. Suggest the author of %s to upgrade the image to the OCI Format or Docker Image manifest v2, schema 2. More information at https://docs.docker.com/go/deprecated-image-specs/", reference.FamiliarString(ref))
}

// schema1Pull is the format of Docker image manifest v2, schema 1: the
// manifest is converted to an OCI image in the content store (its layers
// downloaded by the converter), then unpacked like any other.
type schema1Pull struct {
	s        *ImageService
	ref      reference.Named
	platform ocispec.Platform
	out      backend.ProgressWriter
	resolver remotes.Resolver
	name     string
	// fetchManifest gets the manifest: by the resolved digest, or by
	// reference when containerd refused to resolve it.
	fetchManifest func(context.Context, remotes.FetcherByDigest) (*schema1.Manifest, error)

	// Set by selectManifest.
	fetcher  remotes.FetcherByDigest
	manifest *schema1.Manifest
}

// newSchema1Pull refuses schema 1 unless berthd runs with the gate set.
func (s *ImageService) newSchema1Pull(p schema1Pull) (*schema1Pull, error) {
	if s.env(schema1Gate) == "" {
		return nil, errdefs.ErrInvalidArgument.WithMessage(schema1Deprecation(p.ref))
	}
	p.s = s
	return &p, nil
}

// selectManifest fetches and verifies the manifest; a schema 1 manifest is
// for one platform, which must be the one asked for.
func (p *schema1Pull) selectManifest(ctx context.Context) error {
	_ = p.out.WriteMessage(jsonstream.Message{Status: schema1Deprecation(p.ref)})
	fetcher, err := p.resolver.Fetcher(ctx, p.name)
	if err != nil {
		return err
	}
	byDigest, ok := fetcher.(remotes.FetcherByDigest)
	if !ok {
		return errdefs.ErrNotImplemented.WithMessage("the registry fetcher cannot fetch by digest, which schema 1 needs")
	}
	m, err := p.fetchManifest(ctx, byDigest)
	if err != nil {
		return err
	}
	if err := image.CheckLayerCount(len(m.FSLayers)); err != nil {
		return err
	}
	if got := m.Platform().OS; got != "" && got != p.platform.OS {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("cannot download image with operating system %q when requesting %q", got, p.platform.OS))
	}
	p.fetcher, p.manifest = byDigest, m
	return nil
}

// fetch converts the manifest: the converter downloads the layers and
// reports them to progress, which then follows their unpacking.
func (p *schema1Pull) fetch(ctx context.Context, progress *pullProgress) (pullResult, error) {
	s := p.s
	conv := &schema1.Converter{Store: s.content, Fetcher: p.fetcher, Progress: progress, Limiter: s.downloads}
	target, err := conv.Convert(ctx, p.manifest)
	if err != nil {
		return pullResult{}, err
	}
	manifest, err := image.ReadManifest(ctx, s.content, target)
	if err != nil {
		return pullResult{}, err
	}
	cfg, err := image.ReadConfig(ctx, s.content, manifest.Config)
	if err != nil {
		return pullResult{}, err
	}
	progress.adopt(ctx, manifest.Layers, layer.ChainIDs(cfg.RootFS.DiffIDs))
	return pullResult{
		target:         target,
		recordLabels:   map[string]string{schema1.AnnotationSchema1Digest: p.manifest.Digest().String()},
		registryDigest: p.manifest.Digest(),
		configLabels:   cfg.Config.Labels,
	}, nil
}
