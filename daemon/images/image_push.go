package images

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/auxprogress"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/jsonstream"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/api/types/backend"
	"github.com/berth-dev/berth/distribution"
)

// pushLeaseLabel marks push leases (24 hours at most, as dockerd's; a
// running berthd deletes the lease when the push ends).
const pushLeaseLabel = "berth.push.reference"

// pushResult is the aux message after each pushed tag (the graphdriver
// daemon's; content-trust pushes of the CLI read it).
type pushResult struct {
	Tag    string
	Digest string
	Size   int64
}

// PushImage is POST /images/{name}/push: push one tag, or every local tag of
// the repository when no tag is given (stopping at the first failure). A
// missing image is a plain 404 before anything is streamed; everything after
// the first line is reported in the stream, as dockerd.
func (s *ImageService) PushImage(ctx context.Context, opts backend.PushOptions, out backend.ProgressWriter) error {
	repo, err := reference.ParseNormalizedNamed(opts.Image)
	if err != nil {
		return errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	ref, single := pushReference(repo, opts.Tag)
	if single && ref == nil {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid tag format: %q", opts.Tag))
	}
	// As dockerd, the repository line comes first; a name with nothing
	// behind it is an error in the stream after it.
	_ = out.WriteMessage(jsonstream.Message{Status: fmt.Sprintf("The push refers to repository [%s]", repo.Name())})
	var refs []reference.Named
	if single {
		if _, err := s.images.Get(ctx, ref.String()); err != nil {
			return pushNotFound(ref, err)
		}
		refs = append(refs, ref)
	} else if refs, err = s.localTags(ctx, repo); err != nil {
		return err
	}
	for _, ref := range refs {
		if err := s.pushRef(ctx, ref, opts, out); err != nil {
			return err
		}
	}
	return nil
}

// pushReference is the one reference a push names (nil for a bad tag), or
// single false when the repository's every tag is meant.
func pushReference(repo reference.Named, tag string) (ref reference.Named, single bool) {
	if tag == "" {
		_, tagged := repo.(reference.Tagged)
		_, digested := repo.(reference.Digested)
		return repo, tagged || digested
	}
	ref, err := reference.WithTag(reference.TrimNamed(repo), tag)
	if err != nil {
		return nil, true
	}
	return ref, true
}

// localTags lists the tagged names of repo, sorted.
func (s *ImageService) localTags(ctx context.Context, repo reference.Named) ([]reference.Named, error) {
	list, err := s.images.List(ctx)
	if err != nil {
		return nil, err
	}
	var refs []reference.Named
	for _, img := range list {
		if !strings.HasPrefix(img.Name, repo.Name()+":") {
			continue
		}
		ref, err := reference.ParseNamed(img.Name)
		if err != nil {
			log.G(ctx).WithField("image", img.Name).Warn("refusing to push an invalid tag")
			continue
		}
		if _, ok := ref.(reference.Tagged); ok && ref.Name() == repo.Name() {
			refs = append(refs, ref)
		}
	}
	if len(refs) == 0 {
		return nil, errdefs.ErrNotFound.WithMessage("An image does not exist locally with the tag: " + reference.FamiliarName(repo))
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].String() < refs[j].String() })
	return refs, nil
}

// pushRef pushes one tag under a lease that holds its content.
func (s *ImageService) pushRef(ctx context.Context, ref reference.Named, opts backend.PushOptions, out backend.ProgressWriter) error {
	ctx, release, err := s.startLease(ctx, pushLeaseLabel, ref.String())
	if err != nil {
		return err
	}
	defer release(false)
	img, err := s.holdImage(ctx, ref)
	if err != nil {
		return err
	}
	target := img.Target
	if opts.Platform != nil {
		if target, err = s.pushTarget(ctx, img, opts.Platform); err != nil {
			return err
		}
	}

	resolver, tracker := s.registries.PushResolver(ctx, opts.Auth, opts.MetaHeaders)
	progress := newPushProgress(out, tracker)
	progress.start(ctx)
	err = s.pushContent(ctx, resolver, ref, target, progress)
	if err != nil && errdefs.IsNotFound(err) && c8dimages.IsIndexType(target.MediaType) && opts.Platform == nil {
		// Part of the index is missing: push the one manifest dockerd
		// would pick instead.
		picked, perr := s.pushTarget(ctx, img, nil)
		if perr != nil {
			progress.finish(ctx)
			return perr
		}
		if picked.Digest != target.Digest {
			progress.markUnavailable()
			original := target
			target = picked
			if err = s.pushContent(ctx, resolver, ref, target, progress); err == nil {
				writeAux(out, auxprogress.ManifestPushedInsteadOfIndex{
					ManifestPushedInsteadOfIndex: true, OriginalIndex: original, SelectedManifest: picked,
				})
			}
		}
	}
	progress.finish(ctx)
	if err != nil {
		if !errdefs.IsNotFound(err) {
			return distribution.TranslatePushError(err)
		}
		writeAux(out, auxprogress.ContentMissing{ContentMissing: true, Desc: target})
		return err
	}

	s.recordPushSource(ctx, ref, target)
	if tagged, ok := ref.(reference.Tagged); ok {
		_ = out.WriteMessage(jsonstream.Message{Status: fmt.Sprintf("%s: digest: %s size: %d", tagged.Tag(), target.Digest, target.Size)})
		writeAux(out, pushResult{Tag: tagged.Tag(), Digest: target.Digest.String(), Size: target.Size})
	}
	var labels map[string]string
	if v, err := s.viewImage(ctx, img.Target, nil, s.newUsageCache()); err == nil {
		labels = v.labels()
	}
	s.logImageEvent(events.ActionPush, reference.FamiliarString(ref), reference.FamiliarName(ref), labels)
	return nil
}

// pushContent pushes target and everything below it with containerd's push
// handlers, each blob joining the push's lease before it is read
// (push_hold.go): existing blobs are skipped, blobs pulled from another
// repository of the same registry are mounted, manifests go last and the
// tag is set by the last one.
func (s *ImageService) pushContent(ctx context.Context, resolver remotes.Resolver, ref reference.Named, target ocispec.Descriptor, progress *pushProgress) error {
	pinned, err := reference.WithDigest(ref, target.Digest)
	if err != nil {
		return errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	pusher, err := resolver.Pusher(ctx, pinned.String())
	if err != nil {
		return err
	}
	return remotes.PushContent(ctx, pusher, target, s.leasingStore(), s.uploads, platforms.All, progress.wrapper)
}

// recordPushSource adds ref's repository to the distribution-source labels
// of the pushed blobs, so later pushes to other repositories of the same
// registry can mount them.
func (s *ImageService) recordPushSource(ctx context.Context, ref reference.Named, target ocispec.Descriptor) {
	appendSource, err := docker.AppendDistributionSourceLabel(s.content, ref.String())
	if err != nil {
		log.G(ctx).WithError(err).Warn("failed to record the push's distribution source")
		return
	}
	err = s.walkPresent(ctx, target, func(ctx context.Context, desc ocispec.Descriptor) error {
		_, err := appendSource(ctx, desc)
		return err
	})
	if err != nil {
		log.G(ctx).WithError(err).Warn("failed to record the push's distribution source")
	}
}

// writeAux sends an aux message, as dockerd: with an empty progressDetail.
func writeAux(out backend.ProgressWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	raw := json.RawMessage(b)
	_ = out.WriteMessage(jsonstream.Message{Progress: &jsonstream.Progress{}, Aux: &raw})
}
