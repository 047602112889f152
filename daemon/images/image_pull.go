package images

import (
	"context"
	"fmt"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/api/types/backend"
)

// PullImage is POST /images/create with fromImage: pull one tag or digest,
// or every tag of a repository when no tag is given.
func (s *ImageService) PullImage(ctx context.Context, opts backend.PullOptions, out backend.ProgressWriter) error {
	ref, err := parsePullReference(opts.Image, opts.Tag)
	if err != nil {
		return err
	}
	platform := platforms.DefaultSpec()
	if opts.Platform != nil {
		platform = *opts.Platform
	}
	return s.pullTag(ctx, ref, platform, opts, out)
}

// parsePullReference turns fromImage and tag into a reference, as dockerd
// does: a tag that parses as a digest is a digest.
func parsePullReference(image, tag string) (reference.Named, error) {
	ref, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	if ref.Name() == "docker.io/library/scratch" || reference.FamiliarName(ref) == "scratch" {
		return nil, errdefs.ErrPermissionDenied.WithMessage("'scratch' is a reserved name")
	}
	if tag == "" {
		return ref, nil
	}
	if dgst, err := digest.Parse(tag); err == nil {
		ref, err = reference.WithDigest(reference.TrimNamed(ref), dgst)
	} else {
		ref, err = reference.WithTag(ref, tag)
	}
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	return ref, nil
}

// pullTag pulls one tagged or digested reference and unpacks it.
func (s *ImageService) pullTag(ctx context.Context, ref reference.Named, platform ocispec.Platform, opts backend.PullOptions, out backend.ProgressWriter) error {
	resolver := s.registries.Resolver(opts.Auth, opts.MetaHeaders)
	img, err := s.client.Pull(ctx, ref.String(),
		client.WithResolver(resolver),
		client.WithPlatformMatcher(platforms.Only(platform)),
		client.WithPullUnpack,
		client.WithPullSnapshotter(s.snapshotter),
		client.WithDownloadLimiter(s.downloads),
	)
	if err != nil {
		return err
	}
	target := img.Target()
	if err := s.removeDangling(ctx, target.Digest); err != nil {
		log.G(ctx).WithError(err).Warn("failed to remove the dangling record of the pulled image")
	}
	_ = out.WriteMessage(jsonstream.Message{Status: "Digest: " + target.Digest.String()})
	_ = out.WriteMessage(jsonstream.Message{Status: fmt.Sprintf("Status: Downloaded newer image for %s", reference.FamiliarString(ref))})
	log.G(ctx).WithFields(log.Fields{"digest": target.Digest, "remote": ref.String()}).Info("image pulled")
	if s.events != nil {
		s.events.Log(events.ImageEventType, events.ActionPull, events.Actor{
			ID:         reference.FamiliarString(ref),
			Attributes: map[string]string{"name": reference.FamiliarName(ref)},
		})
	}
	return nil
}
