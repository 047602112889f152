package integration

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client"

	"github.com/berth-dev/berth/testutil/fixtures"
	testregistry "github.com/berth-dev/berth/testutil/registry"
)

const (
	authUser = "alice"
	authPass = "s3cret"
)

// authEnv is a pullEnv whose registry needs credentials, with one image
// pushed as priv/app:v1.
type authEnv struct {
	*pullEnv
	img *fixtures.BuiltImage
}

func newAuthEnv(t *testing.T, opt testregistry.Option) *authEnv {
	t.Helper()
	e := newPullEnv(t, opt)
	c := &fixtures.Client{Host: e.reg.Host(), Username: authUser, Password: authPass}
	return &authEnv{pullEnv: e, img: pushWith(t, c, "priv/app", "v1", layeredImage(30, 31))}
}

// pull pulls priv/app:v1 with the given auth config (nil: no header) and
// returns the raw answer.
func (e *authEnv) pull(t *testing.T, cfg *registry.AuthConfig) rawResponse {
	t.Helper()
	var hdr string
	if cfg != nil {
		hdr = encodeAuth(t, *cfg)
	}
	return e.rawPull(t, pullQuery(e.reg.Host()+"/priv/app", "v1"), hdr)
}

// mustPull checks that the pull with cfg streamed to success.
func (e *authEnv) mustPull(t *testing.T, cfg *registry.AuthConfig) {
	t.Helper()
	msgs := e.pull(t, cfg).messages(t)
	checkPullSequence(t, msgs, "v1", "priv/app", e.ref("priv/app", "v1"), e.img.Digest.String(), "Status: Downloaded newer image for ")
	e.removeImage(t)
}

// removeImage deletes priv/app:v1 so the next pull fetches again.
func (e *authEnv) removeImage(t *testing.T) {
	t.Helper()
	if _, err := e.api.ImageRemove(context.Background(), e.ref("priv/app", "v1"), client.ImageRemoveOptions{Force: true}); err != nil {
		t.Fatalf("remove after pull: %v", err)
	}
}

// accessDenied is dockerd's message for a pull the registry refused
// without saying why.
func (e *authEnv) accessDenied() string {
	return "pull access denied for " + e.reg.Host() + "/priv/app, repository does not exist or may require 'docker login'"
}

// tokenFromIssuer asks the test token issuer for a token with the user's
// credentials: GET with basic auth (a bearer token for scope), or the OAuth
// POST with access_type=offline (a refresh token).
func (e *authEnv) tokenFromIssuer(t *testing.T, refresh bool, scope string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var req *http.Request
	var err error
	if refresh {
		form := url.Values{
			"grant_type": {"password"}, "username": {authUser}, "password": {authPass},
			"access_type": {"offline"}, "client_id": {"berth-test"}, "service": {e.reg.Host()}, "scope": {scope},
		}
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, e.reg.URL()+testregistry.TokenPath, strings.NewReader(form.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else {
		q := url.Values{"service": {e.reg.Host()}, "scope": {scope}}
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, e.reg.URL()+testregistry.TokenPath+"?"+q.Encode(), nil)
		if err == nil {
			req.SetBasicAuth(authUser, authPass)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var tr struct {
		Token        string `json:"token"`
		RefreshToken string `json:"refresh_token"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &tr) != nil {
		t.Fatalf("token issuer: %d %s", resp.StatusCode, body)
	}
	if refresh {
		if tr.RefreshToken == "" {
			t.Fatalf("no refresh token in %s", body)
		}
		return tr.RefreshToken
	}
	return tr.Token
}

// tokenRequests returns the token issuer requests since the last reset.
func (e *authEnv) tokenRequests() []testregistry.Request {
	var out []testregistry.Request
	for _, r := range e.reg.Requests() {
		if r.Path == testregistry.TokenPath {
			out = append(out, r)
		}
	}
	return out
}

// TestPullBasicAuth pulls from an htpasswd registry: anonymous and wrong
// credentials fail, right ones (as fields or as "auth") succeed, and
// credentials for another host are not sent.
func TestPullBasicAuth(t *testing.T) {
	t.Parallel()
	e := newAuthEnv(t, testregistry.WithBasicAuth(authUser, authPass))
	host := e.reg.Host()

	// As dockerd: containerd's own text, and 500 (a 401 from the daemon
	// would make the CLI prompt for credentials and hide the cause).
	resolveFailed := `failed to resolve reference "` + e.ref("priv/app", "v1") + `": `
	noCreds := resolveFailed + "pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials"
	for _, tc := range []struct {
		name   string
		cfg    *registry.AuthConfig
		header string // raw X-Registry-Auth instead of cfg
		want   string
	}{
		{"anonymous", nil, "", noCreds},
		{"wrong password", &registry.AuthConfig{Username: authUser, Password: "nope", ServerAddress: host}, "",
			resolveFailed + "unexpected status from HEAD request to http://" + host + "/v2/priv/app/manifests/v1: 401 Unauthorized"},
		{"other host", &registry.AuthConfig{Username: authUser, Password: authPass, ServerAddress: "registry.example.com"}, "", noCreds},
		{"undecodable header", nil, "!!not base64!!", noCreds},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.reg.ResetRequests()
			r := e.pull(t, tc.cfg)
			if tc.header != "" {
				r = e.rawPull(t, pullQuery(host+"/priv/app", "v1"), tc.header)
			}
			if msg := r.apiError(t, http.StatusInternalServerError); msg != tc.want {
				t.Errorf("message %q, want %q", msg, tc.want)
			}
			for _, req := range e.reg.Requests() {
				if a := req.Header.Get("Authorization"); tc.name != "wrong password" && a != "" {
					t.Errorf("credentials sent: %s %s Authorization %q", req.Method, req.Path, a)
				}
			}
		})
	}
	if _, err := e.api.ImageInspect(context.Background(), e.ref("priv/app", "v1")); !cerrdefs.IsNotFound(err) {
		t.Fatalf("image present after failed pulls: %v", err)
	}

	t.Run("username password", func(t *testing.T) {
		e.mustPull(t, &registry.AuthConfig{Username: authUser, Password: authPass, ServerAddress: host})
	})
	t.Run("auth field", func(t *testing.T) {
		e.mustPull(t, &registry.AuthConfig{Auth: base64.StdEncoding.EncodeToString([]byte(authUser + ":" + authPass)), ServerAddress: "http://" + host + "/v2/"})
	})
	t.Run("no serveraddress", func(t *testing.T) {
		e.mustPull(t, &registry.AuthConfig{Username: authUser, Password: authPass})
	})
	t.Run("SDK", func(t *testing.T) {
		ctx := context.Background()
		resp, err := e.api.ImagePull(ctx, e.ref("priv/app", "v1"), client.ImagePullOptions{
			RegistryAuth: encodeAuth(t, registry.AuthConfig{Username: authUser, Password: authPass, ServerAddress: host}),
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := resp.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		e.removeImage(t)
	})
}

// TestPullTokenAuthAnonymous is moby's TestImagePullNonExisting against a
// private token-auth registry: pull access denied (404), never
// "unauthorized", for a tag and for all tags, existing repository or not.
func TestPullTokenAuthAnonymous(t *testing.T) {
	t.Parallel()
	e := newAuthEnv(t, testregistry.WithTokenAuth(authUser, authPass, testregistry.AnonymousNoAccess))
	host := e.reg.Host()
	for _, tc := range []struct{ name, fromImage, tag, familiar string }{
		{"tag", host + "/priv/app", "v1", host + "/priv/app"},
		{"all tags", host + "/priv/app", "", host + "/priv/app"},
		{"missing repo", host + "/priv/nothing", "latest", host + "/priv/nothing"},
		{"missing repo all tags", host + "/priv/nothing", "", host + "/priv/nothing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := e.rawPull(t, pullQuery(tc.fromImage, tc.tag), "").apiError(t, http.StatusNotFound)
			want := "pull access denied for " + tc.familiar + ", repository does not exist or may require 'docker login'"
			if msg != want {
				t.Errorf("message %q, want %q", msg, want)
			}
			if strings.Contains(strings.ToLower(msg), "unauthorized") {
				t.Errorf("message %q mentions unauthorized", msg)
			}
		})
	}
	t.Run("SDK", func(t *testing.T) {
		_, err := e.api.ImagePull(context.Background(), host+"/priv/app:v1", client.ImagePullOptions{})
		if !cerrdefs.IsNotFound(err) || !strings.Contains(err.Error(), e.accessDenied()) {
			t.Errorf("ImagePull: %v, want not found with %q", err, e.accessDenied())
		}
	})
}

// TestPullTokenAuthAnonymousPolicies: a public token registry lets
// anonymous pulls through; an issuer refusing anonymous callers outright is
// the token server's 401 (the CLI then asks for credentials), as dockerd.
func TestPullTokenAuthAnonymousPolicies(t *testing.T) {
	t.Parallel()
	t.Run("public", func(t *testing.T) {
		t.Parallel()
		e := newAuthEnv(t, testregistry.WithTokenAuth(authUser, authPass, testregistry.AnonymousPull))
		e.mustPull(t, nil)
	})
	t.Run("denied", func(t *testing.T) {
		t.Parallel()
		e := newAuthEnv(t, testregistry.WithTokenAuth(authUser, authPass, testregistry.AnonymousDenied))
		if msg, want := e.pull(t, nil).apiError(t, http.StatusUnauthorized), "error from registry: authentication required"; msg != want {
			t.Errorf("message %q, want %q", msg, want)
		}
		e.mustPull(t, &registry.AuthConfig{Username: authUser, Password: authPass, ServerAddress: e.reg.Host()})
	})
}

// TestPullTokenAuth pulls from a token-auth registry with a password, an
// identity (refresh) token and a registry (bearer) token.
func TestPullTokenAuth(t *testing.T) {
	t.Parallel()
	e := newAuthEnv(t, testregistry.WithTokenAuth(authUser, authPass, testregistry.AnonymousNoAccess))
	host := e.reg.Host()
	scope := "repository:priv/app:pull"

	t.Run("username password", func(t *testing.T) {
		e.mustPull(t, &registry.AuthConfig{Username: authUser, Password: authPass, ServerAddress: host})
	})
	t.Run("wrong password", func(t *testing.T) {
		// The token server's errors[] body, as dockerd: a 401, on which
		// the CLI asks for credentials once.
		r := e.pull(t, &registry.AuthConfig{Username: authUser, Password: "nope", ServerAddress: host})
		if msg, want := r.apiError(t, http.StatusUnauthorized), "error from registry: invalid username or password"; msg != want {
			t.Errorf("message %q, want %q", msg, want)
		}
	})
	t.Run("identitytoken", func(t *testing.T) {
		refresh := e.tokenFromIssuer(t, true, scope)
		e.reg.ResetRequests()
		e.mustPull(t, &registry.AuthConfig{IdentityToken: refresh, ServerAddress: host})
		reqs := e.tokenRequests()
		if len(reqs) == 0 {
			t.Fatal("no token request")
		}
		for _, r := range reqs {
			if r.Method != http.MethodPost || r.Header.Get("Authorization") != "" {
				t.Errorf("token request %s with Authorization %q, want an OAuth POST with the refresh token", r.Method, r.Header.Get("Authorization"))
			}
		}
	})
	t.Run("identitytoken invalid", func(t *testing.T) {
		r := e.pull(t, &registry.AuthConfig{IdentityToken: "not-a-refresh-token", ServerAddress: host})
		if r.status == http.StatusOK {
			t.Fatalf("pull with a bad refresh token succeeded: %s", r.body)
		}
	})
	t.Run("registrytoken", func(t *testing.T) {
		tok := e.tokenFromIssuer(t, false, scope)
		e.reg.ResetRequests()
		e.mustPull(t, &registry.AuthConfig{RegistryToken: tok, ServerAddress: host})
		if reqs := e.tokenRequests(); len(reqs) != 0 {
			t.Errorf("daemon asked the issuer for a token %d times despite the registry token", len(reqs))
		}
		bearer := 0
		for _, r := range e.reg.Requests() {
			if r.Header.Get("Authorization") == "Bearer "+tok {
				bearer++
			}
		}
		if bearer == 0 {
			t.Error("the registry token was never sent as Bearer")
		}
	})
	t.Run("other host", func(t *testing.T) {
		tok := e.tokenFromIssuer(t, false, scope)
		for _, cfg := range []registry.AuthConfig{
			{Username: authUser, Password: authPass, ServerAddress: "registry.example.com"},
			{RegistryToken: tok, ServerAddress: "https://index.docker.io/v1/"},
			{IdentityToken: e.tokenFromIssuer(t, true, scope), ServerAddress: "127.0.0.1"},
		} {
			e.reg.ResetRequests()
			r := e.pull(t, &cfg)
			if msg := r.apiError(t, http.StatusNotFound); msg != e.accessDenied() {
				t.Errorf("serveraddress %s: message %q, want %q", cfg.ServerAddress, msg, e.accessDenied())
			}
			for _, req := range e.reg.Requests() {
				if a := req.Header.Get("Authorization"); a != "" && !strings.HasPrefix(a, "Bearer ") || a == "Bearer "+tok {
					t.Errorf("serveraddress %s: %s %s sent Authorization %q", cfg.ServerAddress, req.Method, req.Path, a)
				}
				if req.Method == http.MethodPost {
					t.Errorf("serveraddress %s: refresh token sent to %s", cfg.ServerAddress, req.Path)
				}
			}
		}
	})
}

// TestLoginAPI checks POST /auth against both registry kinds.
func TestLoginAPI(t *testing.T) {
	t.Parallel()
	for _, opt := range []struct {
		name          string
		opt           testregistry.Option
		wrongPassword func(host string) string
	}{
		{"basic", testregistry.WithBasicAuth(authUser, authPass), func(host string) string {
			return "login attempt to http://" + host + "/v2/ failed with status: 401 Unauthorized"
		}},
		{"token", testregistry.WithTokenAuth(authUser, authPass, testregistry.AnonymousNoAccess), func(host string) string {
			return `Get "http://` + host + `/v2/": unauthorized: invalid username or password`
		}},
	} {
		t.Run(opt.name, func(t *testing.T) {
			t.Parallel()
			e := newPullEnv(t, opt.opt)
			ctx := context.Background()
			res, err := e.api.RegistryLogin(ctx, client.RegistryLoginOptions{Username: authUser, Password: authPass, ServerAddress: e.reg.Host()})
			if err != nil || res.Auth.Status != "Login Succeeded" {
				t.Errorf("login: %+v %v", res, err)
			}
			_, err = e.api.RegistryLogin(ctx, client.RegistryLoginOptions{Username: authUser, Password: "nope", ServerAddress: e.reg.Host()})
			if !cerrdefs.IsUnauthorized(err) || !strings.Contains(err.Error(), opt.wrongPassword(e.reg.Host())) {
				t.Errorf("login with a wrong password: %v, want unauthorized %q", err, opt.wrongPassword(e.reg.Host()))
			}
		})
	}
}

// TestPullRegistryErrorTranslation has the registry answer with an errors[]
// body and checks dockerd's "error from registry: <message> - <detail>" text
// and status class: on the manifest GET (before streaming, so the HTTP
// status shows the class) and on a layer GET (an errorDetail line). A HEAD
// carries no body; containerd fetches one with a GET only after a 403.
func TestPullRegistryErrorTranslation(t *testing.T) {
	t.Parallel()
	e := newPullEnv(t)
	b := e.push("err/app", "v1", layeredImage(8))
	byTag := testregistry.ManifestPath("err/app", "v1")
	byDigest := testregistry.ManifestPath("err/app", b.Digest.String())
	layer := testregistry.BlobPath("err/app", b.LayerDigests()[0])
	registryError := func(code, message, detail string) []byte {
		body, _ := json.Marshal(map[string]any{"errors": []map[string]string{{"code": code, "message": message, "detail": detail}}})
		return body
	}
	inject := func(path, method string, status int, body []byte) func() {
		return e.reg.Inject(path, testregistry.Fault{
			Method: method, Status: status, Body: body, Header: http.Header{"Content-Type": {"application/json"}},
		})
	}
	query := pullQuery(e.reg.Host()+"/err/app", "v1")

	for _, tc := range []struct {
		name       string
		regStatus  int
		body       []byte
		wantStatus int
		want       string
	}{
		{"DENIED", 403, registryError("DENIED", "requested access to the resource is denied", "x"), 403,
			"error from registry: requested access to the resource is denied - x"},
		{"UNAVAILABLE", 503, registryError("UNAVAILABLE", "service unavailable", "x"), 503,
			"error from registry: service unavailable - x"},
		{"TOOMANYREQUESTS", 429, registryError("TOOMANYREQUESTS", "too many requests", "x"), 429,
			"error from registry: too many requests - x"},
		{"UNSUPPORTED", 405, registryError("UNSUPPORTED", "The operation is unsupported.", "x"), 501,
			"error from registry: The operation is unsupported. - x"},
		{"UNAUTHORIZED", 401, registryError("UNAUTHORIZED", "authentication required", "x"), 401,
			"error from registry: authentication required - x"},
		{"bare code", 403, []byte(`{"errors":[{"code":"DENIED"}]}`), 403,
			"error from registry: requested access to the resource is denied"},
		{"structured detail", 403, []byte(`{"errors":[{"code":"DENIED","detail":[{"Type":"repository"}]}]}`), 403,
			"error from registry: requested access to the resource is denied"},
		{"legacy token error", 403, []byte(`{"details":"account suspended"}`), 403,
			"requested access to the resource is denied - account suspended"},
		{"no errors body", 502, []byte(`<html>bad gateway</html>`), 500,
			"unexpected status from GET request to http://" + e.reg.Host() + byDigest + ": 502 Bad Gateway"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Run("manifest", func(t *testing.T) {
				defer inject(byDigest, http.MethodGet, tc.regStatus, tc.body)()
				msg := e.rawPull(t, query, "").apiError(t, tc.wantStatus)
				if !strings.HasSuffix(msg, tc.want) {
					t.Errorf("message %q, want it to end with %q", msg, tc.want)
				}
			})
			t.Run("layer", func(t *testing.T) {
				defer inject(layer, http.MethodGet, tc.regStatus, tc.body)()
				msgs := e.rawPull(t, query, "").messages(t)
				want := strings.ReplaceAll(tc.want, byDigest, layer)
				if last := msgs[len(msgs)-1]; last.Error == nil || !strings.HasSuffix(last.Error.Message, want) {
					t.Errorf("last line %+v, want an error ending with %q", last, want)
				}
			})
		})
	}

	t.Run("config DENIED", func(t *testing.T) {
		defer inject(testregistry.BlobPath("err/app", b.ConfigDigest), http.MethodGet, 403, registryError("DENIED", "no config for you", "y"))()
		if msg, want := e.rawPull(t, query, "").apiError(t, 403), "error from registry: no config for you - y"; !strings.HasSuffix(msg, want) {
			t.Errorf("message %q, want it to end with %q", msg, want)
		}
	})

	// The tag's HEAD: a 403 is completed with a GET for its body; other
	// statuses have no body and give their class with containerd's text.
	t.Run("resolve DENIED", func(t *testing.T) {
		defer inject(byTag, "", 403, registryError("DENIED", "requested access to the resource is denied", "x"))()
		msg := e.rawPull(t, query, "").apiError(t, 403)
		if want := "error from registry: requested access to the resource is denied - x"; msg != want {
			t.Errorf("message %q, want %q", msg, want)
		}
	})
	t.Run("resolve HEAD 503", func(t *testing.T) {
		defer inject(byTag, http.MethodHead, 503, nil)()
		msg := e.rawPull(t, query, "").apiError(t, 503)
		want := `failed to resolve reference "` + e.ref("err/app", "v1") + `": unexpected status from HEAD request to http://` + e.reg.Host() + byTag + ": 503 Service Unavailable"
		if msg != want {
			t.Errorf("message %q, want %q", msg, want)
		}
	})
	if _, err := e.api.ImageInspect(context.Background(), e.ref("err/app", "v1")); !cerrdefs.IsNotFound(err) {
		t.Errorf("inspect after the failed pulls: %v, want not found", err)
	}
}

// encodeAuth is the X-Registry-Auth header value of cfg.
func encodeAuth(t *testing.T, cfg registry.AuthConfig) string {
	t.Helper()
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return base64.URLEncoding.EncodeToString(b)
}
