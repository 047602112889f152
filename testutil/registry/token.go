package registry

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/auth/token"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// TokenPath is the path of the token issuer on the registry's listener; the
// challenge realm is URL()+TokenPath.
const TokenPath = "/token"

// AnonymousPolicy says what the token issuer does for callers without
// credentials.
type AnonymousPolicy int

const (
	// AnonymousNoAccess issues anonymous callers a token that grants
	// nothing, so the registry answers 401 insufficient_scope (Docker Hub
	// behaviour for private repositories).
	AnonymousNoAccess AnonymousPolicy = iota
	// AnonymousDenied makes the token endpoint itself answer 401 to
	// callers without credentials.
	AnonymousDenied
	// AnonymousPull grants anonymous callers pull on every repository
	// (a public registry that needs credentials to push).
	AnonymousPull
)

// TokenAuth configures bearer-token auth (the Docker token protocol). Tokens
// are ES256 JWTs signed by a key generated per registry; the registry's
// "token" access controller trusts it through a JWKS file.
//
// The issuer answers GET /token (credentials in basic auth, scopes in
// "scope" parameters, refresh token with offline_token=true) and POST /token
// (OAuth2 form: grant_type=password or refresh_token). Authenticated users
// get every action they ask for.
type TokenAuth struct {
	// Users maps user names to passwords.
	Users map[string]string
	// Anonymous selects the treatment of callers without credentials.
	Anonymous AnonymousPolicy
	// Service is the expected "service" (token audience). Default: Host().
	Service string
	// Issuer is the token issuer name. Default "berth-test-issuer".
	Issuer string
	// TTL is the token lifetime. Default 5 minutes.
	TTL time.Duration
}

type tokenIssuer struct {
	cfg    TokenAuth
	signer jose.Signer

	mu      sync.Mutex
	refresh map[string]string // refresh token -> user
}

func newTokenIssuer(cfg TokenAuth, realm, host, dir string) (*tokenIssuer, configuration.Parameters, error) {
	if cfg.Service == "" {
		cfg.Service = host
	}
	if cfg.Issuer == "" {
		cfg.Issuer = "berth-test-issuer"
	}
	if cfg.TTL <= 0 {
		cfg.TTL = 5 * time.Minute
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	kid := randomHex(16)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		return nil, nil, fmt.Errorf("registry: token signer: %w", err)
	}
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
		Key: &key.PublicKey, KeyID: kid, Algorithm: string(jose.ES256), Use: "sig",
	}}})
	if err != nil {
		return nil, nil, err
	}
	path := filepath.Join(dir, "jwks.json")
	if err := os.WriteFile(path, jwks, 0o600); err != nil {
		return nil, nil, fmt.Errorf("registry: write jwks: %w", err)
	}
	params := configuration.Parameters{
		"realm":   realm,
		"service": cfg.Service,
		"issuer":  cfg.Issuer,
		"jwks":    path,
	}
	return &tokenIssuer{cfg: cfg, signer: signer, refresh: map[string]string{}}, params, nil
}

func (ti *tokenIssuer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var (
		user, scopes string
		authed, ok   bool
		offline      bool
	)
	switch r.Method {
	case http.MethodGet:
		q := r.URL.Query()
		scopes = strings.Join(q["scope"], " ")
		offline = q.Get("offline_token") == "true"
		var pass string
		if user, pass, ok = r.BasicAuth(); ok {
			if authed = ti.checkPassword(user, pass); !authed {
				ti.deny(w, "invalid username or password")
				return
			}
		}
	case http.MethodPost:
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		scopes = strings.Join(r.PostForm["scope"], " ")
		switch r.PostForm.Get("grant_type") {
		case "password":
			user = r.PostForm.Get("username")
			if authed = ti.checkPassword(user, r.PostForm.Get("password")); !authed {
				ti.deny(w, "invalid username or password")
				return
			}
			offline = r.PostForm.Get("access_type") == "offline"
		case "refresh_token":
			ti.mu.Lock()
			user, authed = ti.refresh[r.PostForm.Get("refresh_token")]
			ti.mu.Unlock()
			if !authed {
				ti.deny(w, "invalid refresh token")
				return
			}
		default:
			http.Error(w, `{"error":"unsupported_grant_type"}`, http.StatusBadRequest)
			return
		}
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	if !authed && ti.cfg.Anonymous == AnonymousDenied {
		ti.deny(w, "authentication required")
		return
	}

	now := time.Now()
	raw, err := jwt.Signed(ti.signer).Claims(token.ClaimSet{
		Issuer:     ti.cfg.Issuer,
		Subject:    user,
		Audience:   token.AudienceList{ti.cfg.Service},
		Expiration: now.Add(ti.cfg.TTL).Unix(),
		NotBefore:  now.Add(-time.Second).Unix(),
		IssuedAt:   now.Unix(),
		JWTID:      randomHex(16),
		Access:     ti.grant(authed, scopes),
	}).Serialize()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	resp := map[string]any{
		"token":        raw,
		"access_token": raw,
		"expires_in":   int(ti.cfg.TTL / time.Second),
		"issued_at":    now.UTC().Format(time.RFC3339),
	}
	if authed && offline {
		rt := randomHex(24)
		ti.mu.Lock()
		ti.refresh[rt] = user
		ti.mu.Unlock()
		resp["refresh_token"] = rt
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

func (ti *tokenIssuer) checkPassword(user, pass string) bool {
	want, ok := ti.cfg.Users[user]
	return ok && user != "" && want == pass
}

func (ti *tokenIssuer) deny(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("WWW-Authenticate", `Basic realm="berth-test-issuer"`)
	w.WriteHeader(http.StatusUnauthorized)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]string{{"code": "UNAUTHORIZED", "message": msg}},
		"error":  "unauthorized",
	})
}

// grant returns the access entries for the requested scopes, e.g.
// "repository:library/busybox:pull,push registry:catalog:*".
func (ti *tokenIssuer) grant(authed bool, scopes string) []*token.ResourceActions {
	var out []*token.ResourceActions
	for _, scope := range strings.Fields(scopes) {
		typ, rest, ok := strings.Cut(scope, ":")
		i := strings.LastIndex(rest, ":")
		if !ok || i < 0 {
			continue
		}
		name, actions := rest[:i], strings.Split(rest[i+1:], ",")
		if !authed {
			switch ti.cfg.Anonymous {
			case AnonymousPull:
				if typ != "repository" || !slices.Contains(actions, "pull") {
					continue
				}
				actions = []string{"pull"}
			default:
				continue
			}
		}
		out = append(out, &token.ResourceActions{Type: typ, Name: name, Actions: actions})
	}
	if out == nil {
		out = []*token.ResourceActions{}
	}
	return out
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b)
}
