package images

import (
	"context"
	"fmt"

	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	"github.com/containerd/platforms"
	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// deletePlatforms is DELETE /images/{name}?platforms=…&force=1, as dockerd:
// for each platform the present manifests of the image that match it
// exactly (and the attestations describing them) are removed; the image,
// its names and its other platforms stay. Blobs only those manifests used
// (config, layers) and their snapshots go with the garbage collection; a
// blob another manifest or image still uses stays. Each removed manifest is
// reported as Deleted.
func (s *ImageService) deletePlatforms(ctx context.Context, img c8dimages.Image, plats []ocispec.Platform) ([]imagetypes.DeleteResponse, error) {
	list, err := s.platformManifests(ctx, img.Target)
	if err != nil {
		return nil, err
	}
	// Pick everything first, so an unknown platform removes nothing.
	var remove []digest.Digest
	for _, p := range plats {
		found := platformContent(list, p)
		if len(found) == 0 {
			return nil, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("failed to delete platform %s for image %s: no manifest for this platform is present", platforms.FormatAll(p), img.Target.Digest))
		}
		remove = append(remove, found...)
	}
	// A manifest another image (another index) also lists stays: removing
	// it would break that image.
	shared, err := s.manifestsOfOtherImages(ctx, img.Target.Digest)
	if err != nil {
		return nil, err
	}
	var out []imagetypes.DeleteResponse
	seen := map[digest.Digest]bool{}
	for _, d := range remove {
		if seen[d] || shared[d] {
			continue
		}
		seen[d] = true
		if err := s.content.Delete(ctx, d); err != nil {
			if errdefs.IsNotFound(err) {
				continue
			}
			return out, err
		}
		out = append(out, imagetypes.DeleteResponse{Deleted: d.String()})
	}
	if err := s.storage.CollectGarbage(ctx); err != nil {
		log.G(ctx).WithError(err).Warn("garbage collection after platform delete failed")
	}
	log.G(ctx).WithField("image", img.Name).WithField("manifests", len(out)).Info("image platforms deleted")
	return out, nil
}

// platformContent returns the present image manifests of list matching p
// exactly, each followed by the present attestation manifests for it.
func platformContent(list []*platformManifest, p ocispec.Platform) []digest.Digest {
	match := platforms.OnlyStrict(p)
	var out []digest.Digest
	for _, pm := range list {
		if pm.Kind != imagetypes.ManifestKindImage || pm.ConfigDesc.Digest == "" || !match.Match(pm.Platform) {
			continue
		}
		out = append(out, pm.Desc.Digest)
		for _, att := range list {
			if att.Kind == imagetypes.ManifestKindAttestation && att.AttestationFor == pm.Desc.Digest && att.ConfigDesc.Digest != "" {
				out = append(out, att.Desc.Digest)
			}
		}
	}
	return out
}

// manifestsOfOtherImages returns the manifests reachable from every image
// whose target is not target.
func (s *ImageService) manifestsOfOtherImages(ctx context.Context, target digest.Digest) (map[digest.Digest]bool, error) {
	recs, err := s.images.List(ctx)
	if err != nil {
		return nil, err
	}
	out := map[digest.Digest]bool{}
	done := map[digest.Digest]bool{target: true}
	for _, rec := range recs {
		if done[rec.Target.Digest] {
			continue
		}
		done[rec.Target.Digest] = true
		list, err := s.platformManifests(ctx, rec.Target)
		if err != nil {
			return nil, err
		}
		for _, pm := range list {
			out[pm.Desc.Digest] = true
		}
	}
	return out, nil
}
