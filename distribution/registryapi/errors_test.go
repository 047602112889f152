package registryapi

import (
	"errors"
	"net/http"
	"testing"

	"github.com/containerd/containerd/v2/core/remotes/docker"
	remoteerrors "github.com/containerd/containerd/v2/core/remotes/errors"
	"github.com/containerd/errdefs"
)

func refused(status int, body string) error {
	return remoteerrors.ErrUnexpectedStatus{
		Status: http.StatusText(status), StatusCode: status, Body: []byte(body),
		RequestURL: "https://registry.example/v2/app/manifests/1", RequestMethod: http.MethodGet,
	}
}

// TestStatusError: registry answers become dockerd's messages with the
// class of the registry's error code, else of the HTTP status.
func TestStatusError(t *testing.T) {
	for _, tc := range []struct {
		name  string
		err   error
		msg   string
		class func(error) bool
	}{
		{
			"errors body with text detail",
			refused(404, `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":"tag 1"}]}`),
			"error from registry: manifest unknown - tag 1", errdefs.IsNotFound,
		},
		{
			"structured detail dropped, code's class",
			refused(401, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":[{"Type":"repository"}]}]}`),
			"error from registry: authentication required", errdefs.IsUnauthorized,
		},
		{
			"code without message",
			refused(429, `{"errors":[{"code":"TOOMANYREQUESTS"}]}`),
			"error from registry: too many requests", errdefs.IsResourceExhausted,
		},
		{
			"denied",
			refused(403, `{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}`),
			"error from registry: requested access to the resource is denied", errdefs.IsPermissionDenied,
		},
		{
			"legacy details 401",
			refused(401, `{"details":"incorrect username or password"}`),
			"authentication required - incorrect username or password", errdefs.IsUnauthorized,
		},
		{
			"legacy details 403",
			refused(403, `{"details":"no pulls today"}`),
			"requested access to the resource is denied - no pulls today", errdefs.IsPermissionDenied,
		},
		{"503 without body", refused(503, ``), "Service Unavailable", errdefs.IsUnavailable},
		{"docker.Error alone", docker.Error{Code: docker.ErrorCodeDenied, Message: "no"}, "error from registry: no", errdefs.IsPermissionDenied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := StatusError(tc.err)
			if got.Error() != tc.msg && !containsLine(got.Error(), tc.msg) {
				t.Errorf("message %q, want %q", got.Error(), tc.msg)
			}
			if !tc.class(got) {
				t.Errorf("%q has the wrong class", got)
			}
			if again := StatusError(got); again.Error() != got.Error() || !tc.class(again) {
				t.Errorf("decoding twice changed %q into %q", got, again)
			}
		})
	}
}

// TestStatusErrorUnauthorizedWithoutBody: a bare 401 (basic auth refusing a
// password) stays unclassified, so the CLI does not prompt for credentials.
func TestStatusErrorUnauthorizedWithoutBody(t *testing.T) {
	err := StatusError(refused(401, ""))
	if errdefs.IsUnauthorized(err) || errdefs.IsNotFound(err) {
		t.Fatalf("bare 401 classified: %v", err)
	}
	var unexpected remoteerrors.ErrUnexpectedStatus
	if !errors.As(err, &unexpected) {
		t.Fatalf("bare 401 lost its status: %v", err)
	}
	plain := errors.New("dial tcp: refused")
	if StatusError(plain) != plain {
		t.Fatal("an error without a registry answer was changed")
	}
}

func TestLegacyDetails(t *testing.T) {
	if got := LegacyDetails([]byte(`{"details":"x"}`)); got != "x" {
		t.Errorf("LegacyDetails = %q", got)
	}
	if got := LegacyDetails([]byte(`{"errors":[]}`)); got != "" {
		t.Errorf("LegacyDetails of an errors body = %q", got)
	}
}

func containsLine(s, want string) bool {
	return len(s) >= len(want) && (s == want || s[len(s)-len(want):] == want)
}
