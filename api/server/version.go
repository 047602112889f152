package server

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/client/pkg/versions"

	"github.com/berth-dev/berth/api/server/httputils"
)

// DefaultMinAPIVersion is the oldest Engine API version berthd accepts
// unless DOCKER_MIN_API_VERSION says otherwise, as dockerd.
const DefaultMinAPIVersion = "1.40"

// OldestAPIVersion is the oldest version DOCKER_MIN_API_VERSION may name,
// as dockerd: clients older than that it does not serve at all.
const OldestAPIVersion = "1.24"

// MinAPIVersionEnv names the environment variable that lowers (or raises)
// the oldest API version served, as dockerd's does.
const MinAPIVersionEnv = "DOCKER_MIN_API_VERSION"

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

// ValidateMinAPIVersion checks a minimum API version given through
// MinAPIVersionEnv, with dockerd's messages.
func ValidateMinAPIVersion(v string) error {
	switch {
	case v == "":
		return errors.New("value is empty")
	case strings.EqualFold(v[:1], "v"):
		return errors.New(`API version must be provided without "v" prefix`)
	case !apiVersion.MatchString(v):
		return fmt.Errorf("invalid API version: %s", v)
	case versions.LessThan(v, OldestAPIVersion):
		return fmt.Errorf("minimum supported API version is %s: %s", OldestAPIVersion, v)
	case versions.GreaterThan(v, MaxAPIVersion):
		return fmt.Errorf("maximum supported API version is %s: %s", MaxAPIVersion, v)
	}
	return nil
}

var apiVersion = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)

// checkVersion rejects versions outside [minVersion, MaxAPIVersion] with
// dockerd's messages.
func checkVersion(v, minVersion string) error {
	if versions.LessThan(v, minVersion) {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(
			"client version %s is too old. Minimum supported API version is %s, please upgrade your client to a newer version", v, minVersion))
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
