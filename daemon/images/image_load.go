package images

import (
	"context"
	"errors"
	"fmt"
	"io"

	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/api/types/backend"
	"github.com/berth-dev/berth/image"
	"github.com/berth-dev/berth/layer"
)

// loadedImage is one entry of a loaded archive's index.
type loadedImage struct {
	target ocispec.Descriptor
	// name is the record name (docker.io/library/foo:latest), "" when the
	// archive gives none usable: then the image is kept by its ID.
	name string
}

// LoadImage is POST /images/load: a docker-archive (docker save ≤ 24 with
// <id>/layer.tar, or ≥ 25) or an OCI layout archive, plain or compressed,
// becomes images as if pulled: content verified, host (or requested)
// platforms unpacked, names set. Everything happens under one lease and
// names are set last, so a bad archive stores nothing.
func (s *ImageService) LoadImage(ctx context.Context, in io.Reader, opts backend.LoadOptions, out backend.ProgressWriter) (retErr error) {
	r, err := layer.Decompress(in)
	if err != nil {
		return err
	}
	defer r.Close()
	ctx, release, err := s.startOperationLease(ctx, "load")
	if err != nil {
		return err
	}
	// A failed load, or one for some platforms only, leaves content nothing
	// references: collect it before answering.
	defer func() { release(retErr != nil || len(opts.Platforms) > 0) }()

	root, err := importArchive(ctx, s.content, r)
	if err != nil {
		return err
	}
	loaded, err := s.checkLoaded(ctx, root, opts.Platforms)
	if err != nil {
		return err
	}
	if err := s.unpackLoaded(ctx, loaded, opts, out); err != nil {
		return err
	}
	s.nameLoaded(context.WithoutCancel(ctx), loaded, out)
	return nil
}

// checkLoaded reads the archive's index, checks each image in it and marks
// the content of the platforms kept for the garbage collector, with
// containerd's handlers, as a pull would.
func (s *ImageService) checkLoaded(ctx context.Context, root ocispec.Descriptor, want []ocispec.Platform) ([]loadedImage, error) {
	idx, err := image.ReadIndex(ctx, s.content, root)
	if err != nil {
		return nil, archiveError(err)
	}
	var match platforms.MatchComparer = platforms.All
	if len(want) > 0 {
		match = platforms.Any(want...)
	}
	var out []loadedImage
	for _, m := range idx.Manifests {
		if _, ok := m.Annotations[c8dimages.AnnotationManifestSubject]; ok {
			continue // a referrer, not an image
		}
		li := loadedImage{target: m, name: loadName(m.Annotations)}
		li.target.Annotations = withoutNameLabels(m.Annotations)
		if len(li.target.Annotations) == 0 {
			li.target.Annotations = nil
		}
		found, err := checkArchiveImage(ctx, s.content, m, match, len(want) > 0)
		if errors.Is(err, errMissingPlatform) {
			return nil, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("requested platform(s) (%s) found, but some content is missing: %v", formatPlatforms(want), err))
		}
		if err != nil {
			return nil, err
		}
		if len(want) > 0 && found == 0 {
			return nil, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("image %s was loaded, but doesn't provide the requested platform (%s)", li.shown(), formatPlatforms(want)))
		}
		out = append(out, li)
	}
	if len(out) == 0 {
		return nil, errdefs.ErrInvalidArgument.WithMessage("invalid image archive: it holds no image")
	}
	label := c8dimages.SetChildrenLabels(s.content, c8dimages.FilterPlatforms(presentChildren(s), match))
	for _, li := range out {
		if err := c8dimages.Walk(ctx, label, li.target); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// presentChildren is images.ChildrenHandler that skips absent content.
func presentChildren(s *ImageService) c8dimages.HandlerFunc {
	return func(ctx context.Context, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
		children, err := c8dimages.Children(ctx, s.content, desc)
		if errdefs.IsNotFound(err) {
			return nil, c8dimages.ErrSkipDesc
		}
		return children, err
	}
}

// loadName is the record name an index entry asks for: its containerd image
// name, else its OCI ref name, normalised (alpine → docker.io/library/
// alpine:latest). A name that is no valid tagged reference gives none.
func loadName(annotations map[string]string) string {
	n := annotations[c8dimages.AnnotationImageName]
	if n == "" {
		n = annotations[ocispec.AnnotationRefName]
	}
	if n == "" {
		return ""
	}
	ref, err := reference.ParseNormalizedNamed(n)
	if err != nil {
		return ""
	}
	if _, ok := ref.(reference.Digested); ok {
		return ""
	}
	return reference.TagNameOnly(ref).String()
}

// shown is how messages name the image: familiar name:tag, else its ID.
func (li loadedImage) shown() string {
	if li.name == "" {
		return li.target.Digest.String()
	}
	return familiarName(li.name)
}

func formatPlatforms(list []ocispec.Platform) string {
	out := make([]string, len(list))
	for i, p := range list {
		out[i] = platforms.FormatAll(p)
	}
	return fmt.Sprint(out)
}

// nameLoaded sets the names of the loaded images and reports them as
// dockerd does, including the graphdriver's note when a name moved from
// another image (which stays, dangling).
func (s *ImageService) nameLoaded(ctx context.Context, loaded []loadedImage, out backend.ProgressWriter) {
	say := func(text string) { _ = out.WriteMessage(jsonstream.Message{Stream: text + "\n"}) }
	for _, li := range loaded {
		id := li.target.Digest.String()
		if li.name == "" {
			if err := s.keepAsDangling(ctx, c8dimages.Image{Target: li.target}); err != nil {
				log.G(ctx).WithError(err).WithField("image", id).Warn("failed to record the loaded image")
			}
			say("Loaded image ID: " + id)
		} else {
			old, err := s.putImage(ctx, c8dimages.Image{Name: li.name, Target: li.target})
			if err != nil {
				say(fmt.Sprintf("Error naming image %s: %v", li.shown(), err))
				continue
			}
			if old != nil {
				say(fmt.Sprintf("The image %s already exists, renaming the old one with ID %s to empty string", li.shown(), old.Target.Digest))
			}
			say("Loaded image: " + li.shown())
		}
		list, err := s.platformManifests(ctx, li.target)
		if err != nil {
			list = nil
		}
		s.logImageEvent(events.ActionLoad, id, id, bestManifest(list, nil).configLabels())
	}
}

// loadMatcher is the platforms a load unpacks: the requested ones, else the
// host's.
func loadMatcher(want []ocispec.Platform) platforms.MatchComparer {
	if len(want) > 0 {
		return platforms.Any(want...)
	}
	return platforms.Default()
}

// diffIDsByBlob maps each layer blob of pm to its diff ID.
func (s *ImageService) diffIDsByBlob(ctx context.Context, pm *platformManifest) (map[digest.Digest]digest.Digest, error) {
	out := map[digest.Digest]digest.Digest{}
	if pm.Config == nil {
		return out, nil
	}
	m, err := image.ReadManifest(ctx, s.content, pm.Desc)
	if err != nil {
		return nil, err
	}
	var layers []ocispec.Descriptor
	for _, l := range m.Layers {
		if c8dimages.IsLayerType(l.MediaType) {
			layers = append(layers, l)
		}
	}
	for i, l := range layers {
		if i < len(pm.Config.RootFS.DiffIDs) {
			out[l.Digest] = pm.Config.RootFS.DiffIDs[i]
		}
	}
	return out, nil
}
