package distribution

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
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

// rejectedManifest is containerd's resolver refusing a manifest over its
// MaxManifestSize (remotes/docker/resolver.go), which it reports as a
// not-found.
var rejectedManifest = regexp.MustCompile(`rejecting (\d+) byte manifest for `)

// RejectedManifestSize reports whether err is containerd's resolver refusing
// a manifest for its size, and that size, so the pull can say "manifest too
// large" instead of not found.
func RejectedManifestSize(err error) (int64, bool) {
	if err == nil || !errdefs.IsNotFound(err) {
		return 0, false
	}
	m := rejectedManifest.FindStringSubmatch(err.Error())
	if m == nil {
		return 0, false
	}
	n, perr := strconv.ParseInt(m[1], 10, 64)
	return n, perr == nil
}

// PlatformNotFound is dockerd's error for an index with no manifest for p.
func PlatformNotFound(p ocispec.Platform, err error) error {
	return errdefs.ErrNotFound.WithMessage(fmt.Sprintf(
		"no matching manifest for %s in the manifest list entries: %v", platforms.FormatAll(p), err))
}
