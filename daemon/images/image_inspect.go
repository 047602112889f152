package images

import (
	"context"
	"time"

	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/storage"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/api/types/backend"
)

// errPlatformNotFound is dockerd's error for an image present without the
// requested platform; it is a not-found, so `docker run --platform` pulls.
func errPlatformNotFound(name string, want ocispec.Platform) error {
	return errdefs.ErrNotFound.WithMessage("image with reference " + name +
		" was found but does not provide the specified platform (" + platforms.FormatAll(want) + ")")
}

// ImageInspect is GET /images/{name}/json. Without a platform it describes
// the image by its best present manifest (the host's platform preferred);
// with one, by that platform's manifest (ID and Descriptor become the
// manifest's), or fails with a not-found.
func (s *ImageService) ImageInspect(ctx context.Context, name string, opts backend.InspectOptions) (*imagetypes.InspectResponse, error) {
	r, err := s.resolve(ctx, name)
	if err != nil {
		return nil, err
	}
	img := r.image()
	v, err := s.viewImage(ctx, img.Target, opts.Platform, s.newUsageCache())
	if err != nil {
		return nil, s.goneMeanwhile(ctx, name, err)
	}
	if opts.Platform != nil && v.best == nil {
		return nil, s.goneMeanwhile(ctx, name, errPlatformNotFound(name, *opts.Platform))
	}

	var names []string
	lastTagged := time.Unix(0, 0)
	for _, rec := range r.all {
		if rec.UpdatedAt.After(lastTagged) {
			lastTagged = rec.UpdatedAt
		}
		if !IsDangling(rec) {
			names = append(names, rec.Name)
		}
	}
	tags, digests := repoTagsAndDigestsCached(names, registryDigest(r.all, img.Target.Digest), s.caches.nameCache())

	target := img.Target
	size := v.size()
	if opts.Platform != nil {
		target = v.best.Desc
		size = v.best.contentSize() + v.best.Unpacked
	}
	resp := &imagetypes.InspectResponse{
		ID:          target.Digest.String(),
		RepoTags:    tags,
		RepoDigests: digests,
		Size:        size,
		Descriptor:  &target,
		GraphDriver: &storage.DriverData{Name: s.snapshotter, Data: map[string]string{}},
		Metadata:    imagetypes.Metadata{LastTagTime: lastTagged},
		Config:      &dockerspec.DockerOCIImageConfig{},
	}
	if opts.Manifests {
		resp.Manifests = v.manifestSummaries()
	}
	if opts.Identity {
		resp.Identity = s.imageIdentity(ctx, img.Target)
	}
	cfg, err := s.fullConfig(ctx, v.best)
	if err != nil {
		return nil, err
	}
	if cfg != nil {
		describeConfig(resp, cfg)
	}
	return resp, nil
}

// describeConfig copies what an image config says into resp.
func describeConfig(resp *imagetypes.InspectResponse, cfg *dockerspec.DockerOCIImage) {
	c := cfg.Config
	resp.Config = &c
	resp.Author = cfg.Author
	resp.Architecture = cfg.Architecture
	resp.Variant = cfg.Variant
	resp.Os = cfg.OS
	resp.OsVersion = cfg.OSVersion
	if n := len(cfg.History); n > 0 {
		resp.Comment = cfg.History[n-1].Comment
	}
	if cfg.Created != nil {
		resp.Created = cfg.Created.Format(time.RFC3339Nano)
	}
	resp.RootFS = imagetypes.RootFS{Type: cfg.RootFS.Type}
	for _, id := range cfg.RootFS.DiffIDs {
		resp.RootFS.Layers = append(resp.RootFS.Layers, id.String())
	}
}
