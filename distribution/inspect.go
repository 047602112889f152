package distribution

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/registry"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/distribution/schema1"
)

// maxInspectBlob bounds the manifest and config an inspect reads.
const maxInspectBlob = 8 << 20

// Inspect is GET /distribution/{name}/json: it resolves ref (a tag,
// "latest" when none, or a digest) in the registry with the hosts,
// mirrors and credentials of a pull, and describes what it names as
// dockerd does: the root descriptor, and the platforms of an index's
// entries or of a Docker schema 2 manifest's config (none for an OCI
// manifest). Nothing is stored.
func (r *Registries) Inspect(ctx context.Context, auth *registry.AuthConfig, ref reference.Named) (registry.DistributionInspect, error) {
	if _, digested := ref.(reference.Digested); !digested {
		ref = reference.TagNameOnly(ref)
	}
	resolver := r.Resolver(ctx, auth, nil)
	name, desc, err := resolver.Resolve(ctx, ref.String())
	if schema1.IsSchema1Rejection(err) || (err == nil && schema1.IsSchema1(desc.MediaType)) {
		return registry.DistributionInspect{}, errdefs.ErrInvalidArgument.WithMessage(
			"Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been removed. Suggest the author of " +
				ref.String() + " to upgrade the image to the OCI Format or Docker Image manifest v2, schema 2. More information at https://docs.docker.com/go/deprecated-image-specs/")
	}
	if err != nil {
		return registry.DistributionInspect{}, TranslatePullError(err, ref)
	}
	fetcher, err := resolver.Fetcher(ctx, name)
	if err != nil {
		return registry.DistributionInspect{}, TranslatePullError(err, ref)
	}
	out := registry.DistributionInspect{
		Descriptor: ocispec.Descriptor{MediaType: desc.MediaType, Digest: desc.Digest, Size: desc.Size},
	}
	switch {
	case images.IsIndexType(desc.MediaType):
		var idx ocispec.Index
		if err := fetchJSON(ctx, fetcher, desc, &idx); err != nil {
			return registry.DistributionInspect{}, TranslatePullError(err, ref)
		}
		for _, m := range idx.Manifests {
			var p ocispec.Platform
			if m.Platform != nil {
				p = ocispec.Platform{
					Architecture: m.Platform.Architecture, OS: m.Platform.OS, OSVersion: m.Platform.OSVersion,
					OSFeatures: m.Platform.OSFeatures, Variant: m.Platform.Variant,
				}
			}
			out.Platforms = append(out.Platforms, p)
		}
	case desc.MediaType == images.MediaTypeDockerSchema2Manifest:
		var m ocispec.Manifest
		if err := fetchJSON(ctx, fetcher, desc, &m); err != nil {
			return registry.DistributionInspect{}, TranslatePullError(err, ref)
		}
		// As dockerd: a config that cannot be read only leaves the
		// platform out.
		var p ocispec.Platform
		if fetchJSON(ctx, fetcher, m.Config, &p) == nil && (p.OS != "" || p.Architecture != "") {
			out.Platforms = append(out.Platforms, p)
		}
	}
	return out, nil
}

// fetchJSON fetches desc from the registry, verifies its digest and decodes
// it into v.
func fetchJSON(ctx context.Context, fetcher remotes.Fetcher, desc ocispec.Descriptor, v any) error {
	rc, err := fetcher.Fetch(ctx, desc)
	if err != nil {
		return err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxInspectBlob+1))
	if err != nil {
		return err
	}
	if len(data) > maxInspectBlob {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%s is larger than %d bytes", desc.Digest, maxInspectBlob))
	}
	if desc.Digest.Validate() == nil && desc.Digest.Algorithm().FromBytes(data) != desc.Digest {
		return errdefs.ErrDataLoss.WithMessage(fmt.Sprintf("digest mismatch for %s", desc.Digest))
	}
	if err := json.Unmarshal(data, v); err != nil {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid JSON in %s: %v", desc.Digest, err))
	}
	return nil
}
