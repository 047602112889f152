package images

import (
	"context"
	"sort"
	"strings"

	"github.com/containerd/containerd/v2/pkg/labels"
	"github.com/containerd/log"
	"github.com/distribution/reference"
	imagetypes "github.com/moby/moby/api/types/image"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// imageIdentity is what berthd knows of where an image came from, as
// dockerd's Identity: the repositories it was pulled from, read from the
// "containerd.io/distribution.source.<registry>=<repo>[,<repo>…]" labels
// containerd's fetcher puts on the blobs it pulls. nil when nothing is
// known (dockerd adds build and signature identities berthd has not).
func (s *ImageService) imageIdentity(ctx context.Context, target ocispec.Descriptor) *imagetypes.Identity {
	info, err := s.content.Info(ctx, target.Digest)
	if err != nil {
		return nil
	}
	var repos []string
	seen := map[string]bool{}
	for k, v := range info.Labels {
		registry, ok := strings.CutPrefix(k, labels.LabelDistributionSource+".")
		if !ok {
			continue
		}
		for _, repo := range strings.Split(v, ",") {
			ref, err := reference.ParseNormalizedNamed(registry + "/" + repo)
			if err != nil {
				log.G(ctx).WithError(err).WithField("label", k).Debug("ignoring an unparsable distribution source")
				continue
			}
			if !seen[ref.Name()] {
				seen[ref.Name()] = true
				repos = append(repos, ref.Name())
			}
		}
	}
	if len(repos) == 0 {
		return nil
	}
	sort.Strings(repos)
	id := &imagetypes.Identity{}
	for _, r := range repos {
		id.Pull = append(id.Pull, imagetypes.PullIdentity{Repository: r})
	}
	return id
}
