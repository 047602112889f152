package images

import (
	"context"
	"fmt"
	"strings"

	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	imagetypes "github.com/moby/moby/api/types/image"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// pushTarget chooses what a push of img sends, as dockerd does.
//
// With a platform: the one complete manifest for exactly that platform
// (never an attestation). Without: the whole target when every manifest is
// complete or only one platform exists; else the only complete manifest, or
// the complete one for the host's platform; several complete manifests, none
// for the host, are a conflict.
func (s *ImageService) pushTarget(ctx context.Context, img c8dimages.Image, want *ocispec.Platform) (ocispec.Descriptor, error) {
	list, err := s.platformManifests(ctx, img.Target)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	var match platforms.MatchComparer = preferHost{platforms.Default()}
	if want != nil {
		match = platforms.OnlyStrict(*want)
	}
	anyMissing := false
	var missing []string // platforms whose content is incomplete
	var complete []*platformManifest
	var best *platformManifest
	for _, pm := range list {
		if !pm.Available {
			anyMissing = true
			if pm.Kind != imagetypes.ManifestKindAttestation {
				missing = append(missing, platforms.FormatAll(pm.Platform))
			}
			continue
		}
		if pm.Kind == imagetypes.ManifestKindAttestation || !match.Match(pm.Platform) {
			continue
		}
		complete = append(complete, pm)
		if best == nil || match.Less(pm.Platform, best.Platform) {
			best = pm
		}
	}
	switch {
	case len(complete) == 0:
		return ocispec.Descriptor{}, errNoPushPlatform(img, want, missing)
	case want != nil && len(complete) == 1:
		return complete[0].Desc, nil
	case want != nil:
		return ocispec.Descriptor{}, errdefs.ErrConflict.WithMessage("multiple manifests found for platform " + platforms.FormatAll(*want))
	case !anyMissing:
		return img.Target, nil
	case len(complete) == 1:
		return complete[0].Desc, nil
	case platforms.Only(platforms.DefaultSpec()).Match(best.Platform):
		return best.Desc, nil
	}
	return ocispec.Descriptor{}, errdefs.ErrConflict.WithMessage("multiple matching manifests found but no specific platform requested")
}

// errNoPushPlatform is dockerd's error for an image without a complete
// manifest to push; without a requested platform it also names the
// platforms whose content is not all present.
func errNoPushPlatform(img c8dimages.Image, want *ocispec.Platform, missing []string) error {
	msg := fmt.Sprintf("image with reference %s was found but does not provide ", familiarName(img.Name))
	switch {
	case want != nil:
		msg += fmt.Sprintf("the specified platform (%s)", platforms.FormatAll(*want))
	case len(missing) > 0:
		msg += fmt.Sprintf("any platform (content missing locally for %s)", strings.Join(missing, ", "))
	default:
		msg += "any platform"
	}
	return errdefs.ErrNotFound.WithMessage(msg)
}

// preferHost matches every platform and orders the host's first.
type preferHost struct {
	host platforms.MatchComparer
}

func (preferHost) Match(ocispec.Platform) bool { return true }

func (p preferHost) Less(a, b ocispec.Platform) bool {
	am, bm := p.host.Match(a), p.host.Match(b)
	if am != bm {
		return am
	}
	return am && p.host.Less(a, b)
}
