package registry_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/berth-dev/berth/testutil/fixtures"
	"github.com/berth-dev/berth/testutil/registry"
)

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func TestBasicAuth(t *testing.T) {
	reg := registry.Start(t, registry.WithBasicAuth("alice", "s3cret"))
	c := &fixtures.Client{Host: reg.Host(), Username: "alice", Password: "s3cret"}
	img := pushSample(t, c, "private/app")
	path := reg.URL() + registry.ManifestPath("private/app", "latest")

	r := get(t, http.MethodGet, path, nil)
	if r.status != http.StatusUnauthorized || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic ") {
		t.Fatalf("anonymous pull: %d %v", r.status, r.header)
	}
	if r := get(t, http.MethodGet, path, map[string]string{"Authorization": basic("alice", "wrong")}); r.status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", r.status)
	}
	r = get(t, http.MethodGet, path, map[string]string{"Authorization": basic("alice", "s3cret")})
	if r.status != http.StatusOK || r.header.Get("Docker-Content-Digest") != img.Digest.String() {
		t.Fatalf("authenticated pull: %d %s", r.status, r.body)
	}
	if _, err := fixtures.Push(context.Background(), reg.Host(), "private/other", "x", fixtures.Image{}); err == nil {
		t.Fatal("anonymous push succeeded")
	}
}

// token asks the issuer for a token; user "" is anonymous.
func token(t *testing.T, reg *registry.Registry, user, pass, scope string) (int, string) {
	t.Helper()
	q := url.Values{"service": {reg.Host()}, "scope": {scope}}
	hdr := map[string]string{}
	if user != "" {
		hdr["Authorization"] = basic(user, pass)
	}
	r := get(t, http.MethodGet, reg.URL()+registry.TokenPath+"?"+q.Encode(), hdr)
	var tr struct {
		Token string `json:"token"`
	}
	if r.status == http.StatusOK {
		if err := json.Unmarshal(r.body, &tr); err != nil || tr.Token == "" {
			t.Fatalf("token response %s: %v", r.body, err)
		}
	}
	return r.status, tr.Token
}

func TestTokenAuth(t *testing.T) {
	for _, tc := range []struct {
		name        string
		anon        registry.AnonymousPolicy
		anonTokenOK bool
		anonPullOK  bool
	}{
		{"no-access", registry.AnonymousNoAccess, true, false},
		{"denied", registry.AnonymousDenied, false, false},
		{"public-pull", registry.AnonymousPull, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := registry.Start(t, registry.WithTokenAuth("bob", "hunter2", tc.anon))
			c := &fixtures.Client{Host: reg.Host(), Username: "bob", Password: "hunter2"}
			img := pushSample(t, c, "team/app")
			path := reg.URL() + registry.ManifestPath("team/app", "latest")
			scope := "repository:team/app:pull"

			r := get(t, http.MethodGet, path, nil)
			ch := r.header.Get("WWW-Authenticate")
			if r.status != http.StatusUnauthorized || !strings.Contains(ch, `realm="`+reg.URL()+registry.TokenPath+`"`) ||
				!strings.Contains(ch, `service="`+reg.Host()+`"`) {
				t.Fatalf("no token: %d %q", r.status, ch)
			}

			status, tok := token(t, reg, "", "", scope)
			if (status == http.StatusOK) != tc.anonTokenOK {
				t.Fatalf("anonymous token: status %d", status)
			}
			if tok != "" {
				r := get(t, http.MethodGet, path, map[string]string{"Authorization": "Bearer " + tok})
				if (r.status == http.StatusOK) != tc.anonPullOK {
					t.Fatalf("anonymous pull: %d %s", r.status, r.body)
				}
			}
			if status, _ := token(t, reg, "bob", "wrong", scope); status != http.StatusUnauthorized {
				t.Fatalf("wrong password token: %d", status)
			}
			_, tok = token(t, reg, "bob", "hunter2", scope)
			r = get(t, http.MethodGet, path, map[string]string{"Authorization": "Bearer " + tok})
			if r.status != http.StatusOK || r.header.Get("Docker-Content-Digest") != img.Digest.String() {
				t.Fatalf("authenticated pull: %d %s", r.status, r.body)
			}
			// A token for another repository does not work.
			_, tok = token(t, reg, "bob", "hunter2", "repository:team/other:pull")
			if r := get(t, http.MethodGet, path, map[string]string{"Authorization": "Bearer " + tok}); r.status != http.StatusUnauthorized {
				t.Fatalf("pull with other repo's token: %d", r.status)
			}
		})
	}
}

func TestTokenOAuthAndRefresh(t *testing.T) {
	reg := registry.Start(t, registry.WithTokenAuth("bob", "hunter2", registry.AnonymousDenied))
	pushSample(t, &fixtures.Client{Host: reg.Host(), Username: "bob", Password: "hunter2"}, "team/app")

	post := func(form url.Values) (int, map[string]any) {
		resp, err := http.PostForm(reg.URL()+registry.TokenPath, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	scope := "repository:team/app:pull"
	status, out := post(url.Values{"grant_type": {"password"}, "username": {"bob"}, "password": {"hunter2"},
		"service": {reg.Host()}, "scope": {scope}, "access_type": {"offline"}, "client_id": {"test"}})
	rt, _ := out["refresh_token"].(string)
	if status != http.StatusOK || out["access_token"] == "" || rt == "" {
		t.Fatalf("password grant: %d %v", status, out)
	}
	if status, _ := post(url.Values{"grant_type": {"password"}, "username": {"bob"}, "password": {"nope"}}); status != http.StatusUnauthorized {
		t.Fatalf("bad password grant: %d", status)
	}
	status, out = post(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "service": {reg.Host()}, "scope": {scope}})
	tok, _ := out["access_token"].(string)
	if status != http.StatusOK || tok == "" {
		t.Fatalf("refresh grant: %d %v", status, out)
	}
	r := get(t, http.MethodGet, reg.URL()+registry.ManifestPath("team/app", "latest"), map[string]string{"Authorization": "Bearer " + tok})
	if r.status != http.StatusOK {
		t.Fatalf("pull with refreshed token: %d %s", r.status, r.body)
	}
}
