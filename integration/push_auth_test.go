package integration

import (
	"strings"
	"testing"

	regtypes "github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client"

	"github.com/berth-dev/berth/testutil/registry"
)

// TestPushTokens: X-Registry-Auth with an identity token (a refresh token)
// or a registry token pushes as with a password; a registry token without
// push access is refused in the stream with the registry's words.
func TestPushTokens(t *testing.T) {
	e := newAuthEnv(t, registry.WithTokenAuth(authUser, authPass, registry.AnonymousNoAccess))
	host := e.reg.Host()
	pullAuth := encodeAuth(t, regtypes.AuthConfig{Username: authUser, Password: authPass, ServerAddress: host})
	resp, err := e.api.ImagePull(t.Context(), e.ref("priv/app", "v1"), client.ImagePullOptions{RegistryAuth: pullAuth})
	if err != nil || resp.Wait(t.Context()) != nil {
		t.Fatalf("pull: %v", err)
	}
	push := func(tag string, auth regtypes.AuthConfig) (string, error) {
		target := e.ref("priv/pushed", tag)
		if _, err := e.api.ImageTag(t.Context(), client.ImageTagOptions{Source: e.ref("priv/app", "v1"), Target: target}); err != nil {
			t.Fatal(err)
		}
		resp, err := e.api.ImagePush(t.Context(), target, client.ImagePushOptions{RegistryAuth: encodeAuth(t, auth)})
		if err != nil {
			return "", err
		}
		defer resp.Close()
		var last string
		for m, err := range resp.JSONMessages(t.Context()) {
			if err != nil {
				return last, err
			}
			if m.Error != nil {
				return last, m.Error
			}
			if m.Status != "" {
				last = m.Status
			}
		}
		return last, nil
	}
	scope := "repository:priv/pushed:pull,push"
	cases := []struct {
		tag  string
		auth regtypes.AuthConfig
	}{
		{"identity", regtypes.AuthConfig{IdentityToken: e.tokenFromIssuer(t, true, scope), ServerAddress: host}},
		{"registry", regtypes.AuthConfig{RegistryToken: e.tokenFromIssuer(t, false, scope), ServerAddress: host}},
	}
	for _, tc := range cases {
		if last, err := push(tc.tag, tc.auth); err != nil || !strings.HasPrefix(last, tc.tag+": digest: "+e.img.Digest.String()) {
			t.Errorf("push with a %s token: last status %q, %v", tc.tag, last, err)
		}
	}
	pullOnly := regtypes.AuthConfig{RegistryToken: e.tokenFromIssuer(t, false, "repository:priv/pushed:pull"), ServerAddress: host}
	if _, err := push("pullonly", pullOnly); err == nil || err.Error() != "error from registry: authentication required" {
		t.Errorf("push with a pull-only registry token: %v", err)
	}
}
