package distribution

import (
	"errors"
	"fmt"
	"strings"

	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/distribution/registryapi"
	"github.com/berth-dev/berth/layer"
)

// TranslatePullError turns containerd's pull errors into the messages and
// error classes dockerd gives users. The pull calls it once, at its edge;
// errors already translated (or classified where they were made) pass
// unchanged.
func TranslatePullError(err error, ref reference.Named) error {
	if err == nil {
		return nil
	}
	err = layer.ExplainXattrError(dedupeJoined(err))
	if errors.Is(err, docker.ErrInvalidAuthorization) {
		if strings.Contains(err.Error(), "no basic auth credentials") {
			return err
		}
		return errdefs.ErrNotFound.WithMessage(fmt.Sprintf(
			"pull access denied for %s, repository does not exist or may require 'docker login'", reference.FamiliarName(ref)))
	}
	return registryapi.StatusError(err)
}

// PlatformNotFound is dockerd's error for an index with no manifest for p.
func PlatformNotFound(p ocispec.Platform, err error) error {
	return errdefs.ErrNotFound.WithMessage(fmt.Sprintf(
		"no matching manifest for %s in the manifest list entries: %v", platforms.FormatAll(p), err))
}
