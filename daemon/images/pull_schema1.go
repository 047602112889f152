package images

import (
	"context"
	"fmt"

	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/api/types/backend"
)

// schema1Gate is the environment variable that re-enables schema 1 pulls.
const schema1Gate = "DOCKER_ENABLE_DEPRECATED_PULL_SCHEMA_1_IMAGE"

// mediaTypeSchema1Unsigned is the unsigned schema 1 manifest type.
const mediaTypeSchema1Unsigned = "application/vnd.docker.distribution.manifest.v1+json"

func isSchema1(mediaType string) bool {
	return mediaType == images.MediaTypeDockerSchema1Manifest || mediaType == mediaTypeSchema1Unsigned
}

// schema1Deprecation is dockerd's notice for schema 1 images.
func schema1Deprecation(ref reference.Named) string {
	return fmt.Sprintf("[DEPRECATION NOTICE] Docker Image Format v1 and Docker Image manifest version 2, schema 1 support is disabled by default and will be removed in an upcoming release. Suggest the author of %s to upgrade the image to the OCI Format or Docker Image manifest v2, schema 2. More information at https://docs.docker.com/go/deprecated-image-specs/", reference.FamiliarString(ref))
}

// pullSchema1 refuses a schema 1 image unless the gate is set.
func (s *ImageService) pullSchema1(ctx context.Context, ref reference.Named, name string, desc ocispec.Descriptor, resolver remotes.Resolver, out backend.ProgressWriter) error {
	if s.env(schema1Gate) == "" {
		return errdefs.ErrInvalidArgument.WithMessage(schema1Deprecation(ref))
	}
	return errdefs.ErrNotImplemented.WithMessage("schema 1 conversion is not implemented yet")
}
