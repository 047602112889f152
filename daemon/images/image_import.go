package images

import (
	"context"
	"fmt"
	"time"

	"github.com/containerd/containerd/v2/client"
	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/moby/api/types/events"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/api/types/backend"
	"github.com/berth-dev/berth/image"
	"github.com/berth-dev/berth/layer"
)

// ImportImage is POST /images/create with fromSrc: the root-filesystem
// archive in the body or at a URL (plain, gzip, zstd, bzip2 or xz) becomes a
// one-layer image, as dockerd's containerd store makes it: the layer kept
// gzip or zstd (else gzipped), an OCI manifest and a config with the
// platform, the creation time, the diff ID, one history entry commented
// with the message, and the configuration the changes give. The layer is
// unpacked. The image is named repo:tag, or kept as a dangling record when
// no repo is given. It returns the image ID.
//
// Everything is written under one lease (a pull's, so one a crash
// interrupts is removed at start-up) and the name is set last, so an
// archive that is not a tar, a bad change or a failed unpack leave nothing.
func (s *ImageService) ImportImage(ctx context.Context, opts backend.ImportOptions, out backend.ProgressWriter) (_ digest.Digest, retErr error) {
	ref, err := parseImportReference(opts.Repo, opts.Tag)
	if err != nil {
		return "", err
	}
	platform := platforms.DefaultSpec()
	if opts.Platform != nil {
		platform = platforms.Normalize(*opts.Platform)
	}
	var cfg dockerspec.DockerOCIImageConfig
	if err := image.ApplyChanges(&cfg, opts.Changes, platform.OS); err != nil {
		return "", err
	}
	message := opts.Message
	if message == "" {
		message = "Imported from " + opts.Source
	}

	src, err := importSource(ctx, opts, out)
	if err != nil {
		return "", err
	}
	defer src.Close()

	ctx, release, err := s.startOperationLease(ctx, "import")
	if err != nil {
		return "", err
	}
	defer func() { release(retErr != nil) }()

	blob, err := layer.Import(ctx, s.content, src)
	if err != nil {
		return "", err
	}
	created := time.Now().UTC()
	config := dockerspec.DockerOCIImage{
		Image: ocispec.Image{
			Created:  &created,
			Platform: platform,
			RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{blob.DiffID}},
			History:  []ocispec.History{{Created: &created, Comment: message}},
		},
		Config: cfg,
	}
	configDesc, err := image.WriteJSON(ctx, s.content, ocispec.MediaTypeImageConfig, config, nil)
	if err != nil {
		return "", err
	}
	manifest := ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    configDesc,
		Layers:    []ocispec.Descriptor{blob.Descriptor},
	}
	target, err := image.WriteJSON(ctx, s.content, ocispec.MediaTypeImageManifest, manifest, image.ManifestGCLabels(manifest))
	if err != nil {
		return "", err
	}

	rec := c8dimages.Image{Name: danglingName(target.Digest), Target: target, CreatedAt: created}
	if ref != nil {
		rec.Name = ref.String()
	}
	if err := s.unpackImport(ctx, rec, platform); err != nil {
		return "", err
	}
	if _, err := s.putImage(context.WithoutCancel(ctx), rec); err != nil {
		return "", err
	}
	id := target.Digest.String()
	log.G(ctx).WithFields(log.Fields{"image": id, "name": rec.Name}).Info("image imported")
	if ref != nil {
		s.logImageEvent(events.ActionTag, id, reference.FamiliarString(ref), cfg.Labels)
	}
	s.logImageEvent(events.ActionImport, id, id, cfg.Labels)
	return target.Digest, nil
}

// unpackImport unpacks the imported layer into the snapshotter.
func (s *ImageService) unpackImport(ctx context.Context, rec c8dimages.Image, platform ocispec.Platform) error {
	if err := s.unpacks.Acquire(ctx, 1); err != nil {
		return err
	}
	defer s.unpacks.Release(1)
	img := client.NewImageWithPlatform(s.client, rec, platforms.Only(platform))
	if err := img.Unpack(ctx, s.snapshotter); err != nil && !errdefs.IsAlreadyExists(err) {
		return fmt.Errorf("failed to unpack image: %w", err)
	}
	return nil
}

// parseImportReference names an imported image as dockerd does: repo may
// carry a tag (default latest), tag overrides it, a digest is refused.
func parseImportReference(repo, tag string) (reference.NamedTagged, error) {
	if repo == "" {
		return nil, nil
	}
	return newRecordName(repo, tag)
}
