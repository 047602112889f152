package server

import (
	"context"
	"fmt"
	"regexp"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/client/pkg/versions"

	"github.com/berth-dev/berth/api/server/httputils"
)

// MinAPIVersion is the oldest Engine API version berthd accepts, as dockerd.
const MinAPIVersion = "1.40"

// MaxAPIVersion is the newest Engine API version berthd speaks: the version
// of the github.com/moby/moby/api module whose types every response uses
// (a test checks the two agree).
const MaxAPIVersion = "1.56"

var versionPrefix = regexp.MustCompile(`^/v([0-9.]+)(/.*)$`)

// splitVersion strips a "/v1.NN" prefix and returns the version ("" when the
// path has none) and the rest of the path.
func splitVersion(path string) (version, rest string) {
	if m := versionPrefix.FindStringSubmatch(path); m != nil {
		return m[1], m[2]
	}
	return "", path
}

// checkVersion rejects versions outside [MinAPIVersion, MaxAPIVersion] with
// dockerd's messages.
func checkVersion(v string) error {
	if versions.LessThan(v, MinAPIVersion) {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(
			"client version %s is too old. Minimum supported API version is %s, please upgrade your client to a newer version", v, MinAPIVersion))
	}
	if versions.GreaterThan(v, MaxAPIVersion) {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(
			"client version %s is too new. Maximum supported API version is %s", v, MaxAPIVersion))
	}
	return nil
}

// WithAPIVersion stores the request's negotiated API version.
func WithAPIVersion(ctx context.Context, v string) context.Context {
	return httputils.WithVersion(ctx, v)
}

// APIVersion returns the API version the request speaks.
func APIVersion(ctx context.Context) string {
	if v := httputils.VersionFromContext(ctx); v != "" {
		return v
	}
	return MaxAPIVersion
}
