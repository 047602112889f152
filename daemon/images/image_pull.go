package images

import (
	"context"
	"errors"
	"fmt"

	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/api/types/backend"
	"github.com/berth-dev/berth/distribution"
	"github.com/berth-dev/berth/distribution/schema1"
	"github.com/berth-dev/berth/image"
)

// The pull, top-down: this file holds the pipeline and the format
// interface; pull_schema2.go and pull_schema1.go are the formats;
// pull_unpack.go, pull_record.go and pull_lease.go are the shared steps;
// pull_progress*.go is the one source of layer lines.

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

// pullOne pulls one tagged or digested reference. Its errors are
// translated to dockerd's messages here, at the edge of the pull, once.
func (s *ImageService) pullOne(ctx context.Context, ref reference.Named, platform ocispec.Platform, opts backend.PullOptions, out backend.ProgressWriter) error {
	return distribution.TranslatePullError(s.pull(ctx, ref, platform, opts, out), ref)
}

// pull resolves ref and runs the pipeline, or follows a pull of the same
// reference, manifest and platform already under way (pull_join.go).
func (s *ImageService) pull(ctx context.Context, ref reference.Named, platform ocispec.Platform, opts backend.PullOptions, out backend.ProgressWriter) error {
	// Resolve: what the registry serves for ref decides the format.
	format, err := s.resolvePull(ctx, ref, platform, opts, out)
	if err != nil {
		return err
	}
	p, ok := format.(*schema2Pull)
	if !ok {
		_, err := s.runPull(ctx, ref, platform, format, out, nil)
		return err
	}
	key := flightKey(ref, p.root.Digest, platform)
	// A follower whose leader failed joins again: of the pulls that
	// followed it, one leads the next attempt and the others follow that.
	for range maxFollows {
		fl, leader := s.flights.join(key)
		if leader {
			return s.lead(ctx, ref, platform, format, out, key, fl)
		}
		if led, err := s.follow(ctx, ref, fl, out); led {
			return err
		}
	}
	_, err = s.runPull(ctx, ref, platform, format, out, nil)
	return err
}

// maxFollows bounds how many failed leaders a pull follows before it pulls
// on its own.
const maxFollows = 3

// lead runs the pull of flight fl, which others may follow.
func (s *ImageService) lead(ctx context.Context, ref reference.Named, platform ocispec.Platform, format pullFormat, out backend.ProgressWriter, key string, fl *pullFlight) (err error) {
	// Deferred so that followers are let go however the pull ends.
	var res pullResult
	err = errors.New("the pull being followed ended abnormally")
	defer func() { s.flights.end(key, fl, res, err) }()
	res, err = s.runPull(ctx, ref, platform, format, out, fl)
	return err
}

// runPull is the pipeline every format goes through, under one lease:
// select → fetch → unpack → record. The format (pull_schema2.go,
// pull_schema1.go) plugs in at select and fetch; progress lines come from
// one pullProgress. fl, when not nil, is told the layers for its followers.
func (s *ImageService) runPull(ctx context.Context, ref reference.Named, platform ocispec.Platform, format pullFormat, out backend.ProgressWriter, fl *pullFlight) (_ pullResult, retErr error) {
	ctx, release, err := s.startPullLease(ctx, ref.String())
	if err != nil {
		return pullResult{}, err
	}
	defer func() { release(retErr != nil) }()
	old := s.holdPrevious(ctx, ref)

	// Select: the manifest for the platform, its config and layers.
	if err := format.selectManifest(ctx); err != nil {
		return pullResult{}, err
	}
	if p, ok := format.(*schema2Pull); ok && fl != nil {
		fl.publish(p.trackedLayers())
	}
	_ = out.WriteMessage(jsonstream.Message{ID: tagOrDigest(ref), Status: "Pulling from " + reference.Path(ref)})

	// Fetch, then unpack what the fetch did not unpack as it went.
	progress := newPullProgress(out, s.content, s.snapshotService())
	res, err := format.fetch(ctx, progress)
	if err == nil && !res.unpacked {
		err = s.unpack(ctx, ref.String(), res.target, platform, progress)
	}
	// Record: name the image.
	replaced := false
	if err == nil {
		_, replaced, err = s.storeImage(ctx, c8dimages.Image{Name: ref.String(), Target: res.target, Labels: res.recordLabels})
	}
	progress.finish(ctx, err == nil)
	if err != nil {
		return pullResult{}, err
	}
	s.recordPull(ctx, ref, res, old, replaced, out)
	s.dropResumable(context.WithoutCancel(ctx), ref.String())
	return res, nil
}

// pullFormat is one manifest format's part of the pipeline. Each value
// serves one pull; selectManifest runs before fetch.
type pullFormat interface {
	// selectManifest fetches and checks the manifest this pull brings for
	// its platform.
	selectManifest(ctx context.Context) error
	// fetch brings the image's content into the store, reporting layers to
	// progress (and unpacking them when it can do so as they arrive).
	fetch(ctx context.Context, progress *pullProgress) (pullResult, error)
}

// pullResult is what a format's fetch leaves, the same for every format.
type pullResult struct {
	// target is what the image record points at.
	target ocispec.Descriptor
	// recordLabels are the image record's labels.
	recordLabels map[string]string
	// registryDigest is the digest the registry knows the image by (the
	// "Digest:" line): the target's, or a converted schema 1 manifest's.
	registryDigest digest.Digest
	// configLabels are the image config's labels (the event's attributes).
	configLabels map[string]string
	// unpacked is true when the layers were unpacked while fetching.
	unpacked bool
}

// resolvePull asks the registry what ref names and returns the format that
// pulls it.
func (s *ImageService) resolvePull(ctx context.Context, ref reference.Named, platform ocispec.Platform, opts backend.PullOptions, out backend.ProgressWriter) (pullFormat, error) {
	resolver := s.registries.Resolver(ctx, opts.Auth, opts.MetaHeaders)
	name, desc, err := resolver.Resolve(ctx, ref.String())
	switch {
	case schema1.IsSchema1Rejection(err):
		// containerd refuses a schema 1 manifest it had to GET to resolve;
		// fetch it by reference then.
		hosts := s.registries.Hosts(ctx, opts.Auth)
		return s.newSchema1Pull(schema1Pull{
			ref: ref, platform: platform, out: out, resolver: resolver, name: ref.String(),
			fetchManifest: func(ctx context.Context, _ remotes.FetcherByDigest) (*schema1.Manifest, error) {
				return schema1.FetchManifestByRef(ctx, hosts, ref.String())
			},
		})
	case err != nil:
		if size, ok := distribution.RejectedManifestSize(err); ok {
			return nil, image.ErrManifestTooLarge(ref.String(), size)
		}
		return nil, fmt.Errorf("failed to resolve reference %q: %w", ref.String(), err)
	}
	if desc.Size > image.MaxManifestSize {
		return nil, image.ErrManifestTooLarge(ref.String(), desc.Size)
	}
	switch {
	case schema1.IsSchema1(desc.MediaType):
		return s.newSchema1Pull(schema1Pull{
			ref: ref, platform: platform, out: out, resolver: resolver, name: name,
			fetchManifest: func(ctx context.Context, f remotes.FetcherByDigest) (*schema1.Manifest, error) {
				return schema1.FetchManifest(ctx, f, desc)
			},
		})
	}
	return &schema2Pull{s: s, ref: ref, platform: platform, resolver: resolver, name: name, root: desc}, nil
}

// tagOrDigest is the ID of the "Pulling from" line: the tag, or the whole
// reference when pulling by digest (as dockerd).
func tagOrDigest(ref reference.Named) string {
	if t, ok := ref.(reference.Tagged); ok {
		return t.Tag()
	}
	return ref.String()
}
