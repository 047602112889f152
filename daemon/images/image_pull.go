package images

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/diff"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/containerd/v2/core/transfer"
	"github.com/containerd/containerd/v2/pkg/snapshotters"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/api/types/backend"
	"github.com/berth-dev/berth/distribution"
	"github.com/berth-dev/berth/distribution/legacy"
	"github.com/berth-dev/berth/distribution/schema1"
	"github.com/berth-dev/berth/image"
)

// PullImage is POST /images/create with fromImage: pull one tag or digest,
// or every tag of a repository when no tag is given.
func (s *ImageService) PullImage(ctx context.Context, opts backend.PullOptions, out backend.ProgressWriter) (retErr error) {
	defer s.metrics.StartAction("pull").Done(&retErr)
	ref, err := parsePullReference(opts.Image, opts.Tag)
	if err != nil {
		return err
	}
	platform := platforms.DefaultSpec()
	if opts.Platform != nil {
		platform = *opts.Platform
	}
	if reference.IsNameOnly(ref) {
		return s.pullAllTags(ctx, ref, platform, opts, out)
	}
	return s.pullOne(ctx, ref, platform, opts, out)
}

// parsePullReference turns fromImage and tag into a reference, as dockerd
// does: a tag that parses as a digest is a digest.
func parsePullReference(img, tag string) (reference.Named, error) {
	ref, err := reference.ParseNormalizedNamed(img)
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	if reference.FamiliarName(ref) == "scratch" {
		return nil, errdefs.ErrPermissionDenied.WithMessage("'scratch' is a reserved name")
	}
	if tag == "" {
		return ref, nil
	}
	if dgst, err := digest.Parse(tag); err == nil {
		ref, err = reference.WithDigest(reference.TrimNamed(ref), dgst)
		if err != nil {
			return nil, errdefs.ErrInvalidArgument.WithMessage(err.Error())
		}
		return ref, nil
	}
	ref, err = reference.WithTag(ref, tag)
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	return ref, nil
}

// pullAllTags pulls every tag the registry lists; invalid tags are skipped
// and the first failure stops the pull.
func (s *ImageService) pullAllTags(ctx context.Context, repo reference.Named, platform ocispec.Platform, opts backend.PullOptions, out backend.ProgressWriter) error {
	tags, err := s.registries.ListTags(ctx, opts.Auth, repo)
	if err != nil {
		return distribution.TranslatePullError(err, repo)
	}
	for _, tag := range tags {
		ref, err := reference.WithTag(repo, tag)
		if err != nil {
			log.G(ctx).WithField("tag", tag).Warn("skipping invalid tag listed by the registry")
			continue
		}
		if err := s.pullOne(ctx, ref, platform, opts, out); err != nil {
			return fmt.Errorf("error pulling %s: %w", reference.FamiliarString(ref), err)
		}
	}
	return nil
}

// pullOne pulls one tagged or digested reference under one lease and
// unpacks it, streaming dockerd's progress lines.
func (s *ImageService) pullOne(ctx context.Context, ref reference.Named, platform ocispec.Platform, opts backend.PullOptions, out backend.ProgressWriter) (retErr error) {
	ctx, release, err := s.startPullLease(ctx, ref.String())
	if err != nil {
		return err
	}
	defer func() { release(retErr != nil) }()

	// Keep the image this reference named before, while the pull runs.
	var old pullBase
	if img, err := s.images.Get(ctx, ref.String()); err == nil {
		old = pullBase{image: img, exists: true}
		if err := s.leaseImageContent(ctx, img); err != nil {
			log.G(ctx).WithError(err).Warn("failed to lease the previous image's content")
		}
	}

	resolver := s.registries.Resolver(opts.Auth, opts.MetaHeaders)
	name, desc, err := resolver.Resolve(ctx, ref.String())
	// containerd refuses a schema 1 manifest it had to GET to resolve; then
	// the schema 1 path fetches it by reference.
	rejected := schema1.IsSchema1Rejection(err)
	if err != nil && !rejected {
		return distribution.TranslatePullError(fmt.Errorf("failed to resolve reference %q: %w", ref.String(), err), ref)
	}
	if rejected || schema1.IsSchema1(desc.MediaType) {
		if err := s.checkSchema1Gate(ref); err != nil {
			return err
		}
		if rejected {
			return s.pullSchema1(ctx, ref, platform, opts, resolver, ref.String(), nil, old, out)
		}
		return s.pullSchema1(ctx, ref, platform, opts, resolver, name, &desc, old, out)
	}
	fetcher, err := resolver.Fetcher(ctx, name)
	if err != nil {
		return distribution.TranslatePullError(err, ref)
	}
	provider := distribution.FetchThrough{Store: s.content, Fetcher: fetcher}
	matcher := platforms.Only(platform)
	sel, err := image.SelectManifest(ctx, provider, desc, matcher)
	if err != nil {
		if errdefs.IsNotFound(err) && strings.Contains(err.Error(), "platform") {
			return distribution.PlatformNotFound(platform, err)
		}
		return distribution.TranslatePullError(err, ref)
	}
	manifest, err := readManifest(ctx, provider, sel.Manifest)
	if err != nil {
		return distribution.TranslatePullError(err, ref)
	}
	cfg, err := readConfig(ctx, provider, manifest.Config)
	if err != nil {
		return distribution.TranslatePullError(err, ref)
	}

	_ = out.WriteMessage(jsonstream.Message{ID: tagOrDigest(ref), Status: "Pulling from " + reference.Path(ref)})
	progress := newPullProgress(out, s.content, s.snapshotService())
	progress.setLayers(ctx, manifest.Layers, chainIDs(cfg))
	progress.start(ctx)

	img, err := s.client.Pull(ctx, ref.String(),
		client.WithResolver(pinnedResolver{Resolver: resolver, name: name, desc: desc}),
		client.WithPlatformMatcher(matcher),
		client.WithPullUnpack,
		client.WithPullSnapshotter(s.snapshotter),
		client.WithDownloadLimiter(s.downloads),
		client.WithUnpackOpts([]client.UnpackOpt{
			client.WithUnpackLimiter(s.unpacks),
			client.WithUnpackApplyOpts(diff.WithProgress(progress.extractProgress)),
		}),
		client.WithImageHandlerWrapper(composeWrappers(
			steerToSelection(sel),
			snapshotters.AppendInfoHandlerWrapper(ref.String()),
			legacy.ConfigTypeWrapper,
			distribution.NoForeignURLs,
		)),
	)
	progress.finish(ctx, err == nil)
	if err != nil {
		return distribution.TranslatePullError(err, ref)
	}
	return s.finishPull(ctx, ref, pulled{
		target:    img.Target(),
		labels:    cfg.Config.Labels,
		createdAt: img.Metadata().CreatedAt,
	}, old, out)
}

// pullBase is what the reference named before the pull.
type pullBase struct {
	image  images.Image
	exists bool
}

// pulled is the outcome of a pull.
type pulled struct {
	target ocispec.Descriptor
	// shownDigest is the registry's digest when it differs from the target
	// (a converted schema 1 manifest); empty otherwise.
	shownDigest digest.Digest
	labels      map[string]string
	createdAt   time.Time // of the image record the pull left
}

// finishPull keeps the replaced image as dangling, drops the dangling record
// of what was pulled, and reports the result and the event.
func (s *ImageService) finishPull(ctx context.Context, ref reference.Named, res pulled, old pullBase, out backend.ProgressWriter) error {
	ctx = context.WithoutCancel(ctx)
	target := res.target
	upToDate := old.exists && old.image.Target.Digest == target.Digest
	// The record was updated in place only if the previous image was still
	// named when the pull finished; one removed meanwhile is not brought back.
	replaced := old.exists && res.createdAt.Equal(old.image.CreatedAt)
	if replaced && !upToDate {
		if err := s.keepAsDangling(ctx, old.image); err != nil {
			log.G(ctx).WithError(err).Warn("failed to keep the previous image as dangling")
		}
	}
	if err := s.removeDangling(ctx, target.Digest); err != nil {
		log.G(ctx).WithError(err).Warn("failed to remove the dangling record of the pulled image")
	}
	status := "Status: Downloaded newer image for "
	if upToDate {
		status = "Status: Image is up to date for "
	}
	shown := target.Digest
	if res.shownDigest != "" {
		shown = res.shownDigest
	}
	_ = out.WriteMessage(jsonstream.Message{Status: "Digest: " + shown.String()})
	_ = out.WriteMessage(jsonstream.Message{Status: status + reference.FamiliarString(ref)})
	log.G(ctx).WithFields(log.Fields{"digest": target.Digest, "remote": ref.String()}).Info("image pulled")
	s.logImageEvent(events.ActionPull, reference.FamiliarString(ref), reference.FamiliarName(ref), res.labels)
	return nil
}

// tagOrDigest is the ID of the "Pulling from" line: the tag, or the whole
// reference when pulling by digest (as dockerd).
func tagOrDigest(ref reference.Named) string {
	if t, ok := ref.(reference.Tagged); ok {
		return t.Tag()
	}
	return ref.String()
}

func readManifest(ctx context.Context, p content.Provider, desc ocispec.Descriptor) (ocispec.Manifest, error) {
	var m ocispec.Manifest
	data, err := content.ReadBlob(ctx, p, desc)
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid manifest %s: %v", desc.Digest, err))
	}
	return m, nil
}

func readConfig(ctx context.Context, p content.Provider, desc ocispec.Descriptor) (ocispec.Image, error) {
	var cfg ocispec.Image
	data, err := content.ReadBlob(ctx, p, desc)
	if err != nil {
		return cfg, err
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return cfg, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid image config %s: %v", desc.Digest, err))
	}
	return cfg, nil
}

// chainIDs are the snapshot keys of each layer of cfg.
func chainIDs(cfg ocispec.Image) []digest.Digest {
	return identity.ChainIDs(append([]digest.Digest{}, cfg.RootFS.DiffIDs...))
}

// pinnedResolver answers Resolve with the descriptor already resolved, so
// the pull dispatches exactly what was selected even if the tag moves.
type pinnedResolver struct {
	remotes.Resolver
	name string
	desc ocispec.Descriptor
}

func (p pinnedResolver) Resolve(ctx context.Context, ref string) (string, ocispec.Descriptor, error) {
	return p.name, p.desc, nil
}

// SetOptions passes the download limiter and friends to the real resolver.
func (p pinnedResolver) SetOptions(opts ...transfer.ImageResolverOption) {
	if r, ok := p.Resolver.(remotes.ResolverWithOptions); ok {
		r.SetOptions(opts...)
	}
}

// steerToSelection makes the dispatch follow the chosen path through
// (nested) indexes to the selected platform manifest.
func steerToSelection(sel image.Selection) func(images.Handler) images.Handler {
	return func(h images.Handler) images.Handler {
		return images.HandlerFunc(func(ctx context.Context, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
			children, err := h.Handle(ctx, desc)
			if err != nil || !images.IsIndexType(desc.MediaType) {
				return children, err
			}
			if next, ok := sel.Path[desc.Digest.String()]; ok {
				return []ocispec.Descriptor{next}, nil
			}
			return nil, nil
		})
	}
}

// composeWrappers applies wrappers so the first is outermost.
func composeWrappers(ws ...func(images.Handler) images.Handler) func(images.Handler) images.Handler {
	return func(h images.Handler) images.Handler {
		for i := len(ws) - 1; i >= 0; i-- {
			h = ws[i](h)
		}
		return h
	}
}
