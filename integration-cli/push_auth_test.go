package integrationcli

import (
	"net/http"
	"strings"
	"testing"

	"github.com/berth-dev/berth/testutil/registry"
)

// TestPushAuth: against registries that need credentials, a push without
// them fails with containerd/dockerd's words, and succeeds after login.
func TestPushAuth(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		opt    registry.Option
		denied string
	}{
		{"basic", registry.WithBasicAuth(cliUser, cliPass),
			"push access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials"},
		{"token", registry.WithTokenAuth(cliUser, cliPass, registry.AnonymousPull),
			"push access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newAuthImageEnv(t, tc.opt)
			if res := login(e, cliPass); res.ExitCode != 0 {
				t.Fatalf("login: %s", res.Combined())
			}
			e.docker("pull", e.ref("priv/app", "v1"))
			e.docker("logout", e.reg.Host())
			target := e.ref("priv/pushed", "v1")
			e.docker("tag", e.ref("priv/app", "v1"), target)

			if stderr := e.dockerFail("push", target); !strings.Contains(stderr, tc.denied) {
				t.Errorf("anonymous push stderr:\n%s\nwant %q", stderr, tc.denied)
			}
			if res := login(e, cliPass); res.ExitCode != 0 {
				t.Fatalf("login: %s", res.Combined())
			}
			out := lines(e.docker("push", target))
			pushedDigest(t, out, "v1")
		})
	}
}

// TestPushUnauthorizedToken: wrong stored credentials are refused by the
// token server, in its words.
func TestPushUnauthorizedToken(t *testing.T) {
	t.Parallel()
	e := newAuthImageEnv(t, registry.WithTokenAuth(cliUser, cliPass, registry.AnonymousPull))
	e.docker("pull", e.ref("priv/app", "v1"))
	target := e.ref("priv/pushed", "v1")
	e.docker("tag", e.ref("priv/app", "v1"), target)
	e.cli.SetAuth(e.reg.Host(), cliUser, "wrong")
	stderr := e.dockerFail("push", target)
	if !strings.Contains(stderr, "invalid username or password") {
		t.Errorf("push with a wrong password: %s", stderr)
	}
}

// TestPushDenied: a registry that refuses the upload with DENIED is shown
// in dockerd's words.
func TestPushDenied(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	e.pushPull("src/app", "1", smallImage(340))
	target := e.ref("locked/app", "1")
	e.docker("tag", e.ref("src/app", "1"), target)
	// Uploads and mounts into locked/app are refused.
	e.reg.FailPath("/v2/locked/app/blobs/uploads/", http.StatusForbidden,
		`{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}`)
	stderr := e.dockerFail("push", target)
	if !strings.Contains(stderr, "error from registry: requested access to the resource is denied") {
		t.Errorf("denied push: %s", stderr)
	}
}
