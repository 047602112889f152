package distribution

import (
	"fmt"
	"testing"

	"github.com/containerd/containerd/v2/core/remotes/docker"
	remoteerrors "github.com/containerd/containerd/v2/core/remotes/errors"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
)

// TestTranslatePullError: what the pull's edge makes of each kind of error.
func TestTranslatePullError(t *testing.T) {
	ref, _ := reference.ParseNormalizedNamed("registry.example/team/app:1")
	for _, tc := range []struct {
		name  string
		err   error
		msg   string
		class func(error) bool
	}{
		{
			"refused authorization",
			fmt.Errorf("server message: insufficient_scope: %w", docker.ErrInvalidAuthorization),
			"pull access denied for registry.example/team/app, repository does not exist or may require 'docker login'",
			errdefs.IsNotFound,
		},
		{
			"no credentials for basic auth",
			fmt.Errorf("%w: no basic auth credentials", docker.ErrInvalidAuthorization),
			"authorization failed: no basic auth credentials",
			func(err error) bool { return !errdefs.IsNotFound(err) },
		},
		{
			"registry error body",
			remoteerrors.ErrUnexpectedStatus{StatusCode: 429, Status: "429 Too Many Requests",
				Body: []byte(`{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}`)},
			"error from registry: slow down", errdefs.IsResourceExhausted,
		},
		{
			"already classified",
			errdefs.ErrInvalidArgument.WithMessage("cannot download image with operating system \"windows\""),
			"cannot download image with operating system \"windows\"", errdefs.IsInvalidArgument,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := TranslatePullError(tc.err, ref)
			if got.Error() != tc.msg || !tc.class(got) {
				t.Fatalf("got %q (%T), want %q", got, got, tc.msg)
			}
			if again := TranslatePullError(got, ref); again.Error() != got.Error() {
				t.Fatalf("translating twice changed %q into %q", got, again)
			}
		})
	}
	if TranslatePullError(nil, ref) != nil {
		t.Fatal("nil translated into an error")
	}
}
