package images

import (
	"context"
	"fmt"
	"sync"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/diff"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/api/types/backend"
	"github.com/berth-dev/berth/distribution"
	"github.com/berth-dev/berth/distribution/schema1"
)

// schema1Gate is the environment variable that re-enables schema 1 pulls.
const schema1Gate = "DOCKER_ENABLE_DEPRECATED_PULL_SCHEMA_1_IMAGE"

// schema1Deprecation is dockerd's notice for schema 1 images.
func schema1Deprecation(ref reference.Named) string {
	return fmt.Sprintf("[DEPRECATION NOTICE] Docker Image Format v1 and Docker Image manifest version 2, schema 1 support is disabled by default and will be removed in an upcoming release. Suggest the author of %s to upgrade the image to the OCI Format or Docker Image manifest v2, schema 2. More information at https://docs.docker.com/go/deprecated-image-specs/", reference.FamiliarString(ref))
}

// checkSchema1Gate refuses schema 1 unless berthd runs with the gate set.
func (s *ImageService) checkSchema1Gate(ref reference.Named) error {
	if s.env(schema1Gate) == "" {
		return errdefs.ErrInvalidArgument.WithMessage(schema1Deprecation(ref))
	}
	return nil
}

// pullSchema1 converts a schema 1 image to OCI in the content store, names
// and unpacks it, streaming the same progress lines as any other pull. The
// caller holds the pull's lease and has checked the gate.
func (s *ImageService) pullSchema1(ctx context.Context, ref reference.Named, platform ocispec.Platform, opts backend.PullOptions, resolver remotes.Resolver, name string, desc *ocispec.Descriptor, old pullBase, out backend.ProgressWriter) error {
	_ = out.WriteMessage(jsonstream.Message{Status: schema1Deprecation(ref)})
	fetcher, err := resolver.Fetcher(ctx, name)
	if err != nil {
		return distribution.TranslatePullError(err, ref)
	}
	byDigest, ok := fetcher.(remotes.FetcherByDigest)
	if !ok {
		return errdefs.ErrNotImplemented.WithMessage("the registry fetcher cannot fetch by digest, which schema 1 needs")
	}
	var m *schema1.Manifest
	if desc != nil {
		m, err = schema1.FetchManifest(ctx, byDigest, *desc)
	} else {
		m, err = schema1.FetchManifestByRef(ctx, s.registries.Hosts(opts.Auth), ref.String())
	}
	if err != nil {
		return distribution.TranslatePullError(err, ref)
	}
	if p := m.Platform(); p.OS != "" && p.OS != platform.OS {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("cannot download image with operating system %q when requesting %q", p.OS, platform.OS))
	}

	_ = out.WriteMessage(jsonstream.Message{ID: tagOrDigest(ref), Status: "Pulling from " + reference.Path(ref)})
	obs := &schema1Progress{out: out}
	conv := &schema1.Converter{Store: s.content, Fetcher: byDigest, Progress: obs, Limiter: s.downloads}
	target, err := conv.Convert(ctx, m)
	if err != nil {
		return distribution.TranslatePullError(err, ref)
	}

	manifest, err := readManifest(ctx, s.content, target)
	if err != nil {
		return err
	}
	cfg, err := readConfig(ctx, s.content, manifest.Config)
	if err != nil {
		return err
	}
	progress := newPullProgress(out, s.content, s.snapshotService())
	progress.adoptDownloaded(ctx, manifest.Layers, chainIDs(cfg), obs.downloaded())
	progress.start(ctx)
	rec := images.Image{
		Name:   ref.String(),
		Target: target,
		Labels: map[string]string{schema1.AnnotationSchema1Digest: m.Digest().String()},
	}
	created, err := s.createOrUpdateImage(ctx, rec)
	if err == nil {
		img := client.NewImageWithPlatform(s.client, created, platforms.Only(platform))
		err = img.Unpack(ctx, s.snapshotter,
			client.WithUnpackApplyOpts(diff.WithProgress(progress.extractProgress)))
	}
	progress.finish(ctx, err == nil)
	if err != nil {
		return distribution.TranslatePullError(err, ref)
	}
	return s.finishPull(ctx, ref, pulled{
		target:      target,
		shownDigest: m.Digest(),
		labels:      cfg.Config.Labels,
		createdAt:   created.CreatedAt,
	}, old, out)
}

// createOrUpdateImage stores rec, replacing the record of the same name.
func (s *ImageService) createOrUpdateImage(ctx context.Context, rec images.Image) (images.Image, error) {
	for {
		created, err := s.images.Create(ctx, rec)
		if err == nil {
			return created, nil
		}
		if !errdefs.IsAlreadyExists(err) {
			return images.Image{}, err
		}
		updated, err := s.images.Update(ctx, rec)
		if err == nil {
			return updated, nil
		}
		if !errdefs.IsNotFound(err) {
			return images.Image{}, err
		}
	}
}

// schema1Progress turns the converter's layer events into progress lines.
// "Already exists" lines are held back until a layer needs downloading, so
// a pull of something fully present prints no layer lines, as dockerd.
type schema1Progress struct {
	out backend.ProgressWriter

	mu      sync.Mutex
	exists  []digest.Digest
	showing bool
	fetched map[digest.Digest]bool
}

func (p *schema1Progress) LayerProgress(ev schema1.ProgressEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	id := shortID(ev.Digest)
	switch ev.Kind {
	case schema1.LayerExists:
		if !p.showing {
			p.exists = append(p.exists, ev.Digest)
			return
		}
		_ = p.out.WriteMessage(layerStatus(id, "Already exists", nil))
	case schema1.LayerQueued:
		if !p.showing {
			p.showing = true
			for _, d := range p.exists {
				_ = p.out.WriteMessage(layerStatus(shortID(d), "Already exists", nil))
			}
		}
		_ = p.out.WriteMessage(layerStatus(id, "Pulling fs layer", nil))
	case schema1.LayerDownloading:
		total := ev.Total
		if total < 0 {
			total = 0
		}
		_ = p.out.WriteMessage(layerStatus(id, "Downloading", &jsonstream.Progress{Current: ev.Current, Total: total}))
	case schema1.LayerDownloaded:
		if p.fetched == nil {
			p.fetched = map[digest.Digest]bool{}
		}
		p.fetched[ev.Digest] = true
		_ = p.out.WriteMessage(layerStatus(id, "Download complete", nil))
	}
}

// downloaded is the set of layers this pull fetched.
func (p *schema1Progress) downloaded() map[digest.Digest]bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fetched
}
