package registry

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/distribution/distribution/v3/registry/auth"
	"github.com/opencontainers/go-digest"
)

// ServeManifest makes GET and HEAD /v2/<repo>/manifests/<ref> answer body
// with the given Content-Type, for ref = dgst and for each tag, in front of
// the real registry. Use it for manifests distribution v3 refuses to store,
// such as schema 1 (it only accepts schema 2 and OCI).
//
// dgst is sent as Docker-Content-Digest; if empty, the sha256 of body is
// used. (For signed schema 1 manifests the digest is that of the payload
// without signatures, which differs from the sha256 of body.) Requests still
// go through the registry's auth, fault injection and request log. Other
// methods, and refs not in the table, reach the registry.
func (r *Registry) ServeManifest(repo, mediaType string, body []byte, dgst digest.Digest, tags ...string) {
	r.serveManifest(repo, rawManifest{mediaType: mediaType, body: body, digest: dgst}, tags)
}

// ServeManifestWithoutDigest is ServeManifest for a registry that sends
// neither Docker-Content-Digest nor Content-Length with a manifest (some old
// ones did not): a client must GET the manifest to learn its digest.
func (r *Registry) ServeManifestWithoutDigest(repo, mediaType string, body []byte, dgst digest.Digest, tags ...string) {
	r.serveManifest(repo, rawManifest{mediaType: mediaType, body: body, digest: dgst, noDigest: true}, tags)
}

func (r *Registry) serveManifest(repo string, m rawManifest, tags []string) {
	if m.digest == "" {
		m.digest = digest.FromBytes(m.body)
	}
	dgst := m.digest
	r.manifests.mu.Lock()
	defer r.manifests.mu.Unlock()
	r.manifests.m[repo+"@"+dgst.String()] = m
	for _, tag := range tags {
		r.manifests.m[repo+":"+tag] = m
	}
}

type rawManifest struct {
	mediaType string
	body      []byte
	digest    digest.Digest
	noDigest  bool // send neither Docker-Content-Digest nor Content-Length
}

type manifestTable struct {
	mu sync.Mutex
	m  map[string]rawManifest // "repo:tag" or "repo@digest"
}

func newManifestTable() *manifestTable { return &manifestTable{m: map[string]rawManifest{}} }

// serve answers req if it asks for a manifest in the table; it reports
// whether it did.
func (t *manifestTable) serve(w http.ResponseWriter, req *http.Request, ac auth.AccessController) bool {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		return false
	}
	repo, ref, ok := parseManifestPath(req.URL.Path)
	if !ok {
		return false
	}
	key := repo + ":" + ref
	if strings.Contains(ref, ":") {
		key = repo + "@" + ref
	}
	t.mu.Lock()
	m, ok := t.m[key]
	t.mu.Unlock()
	if !ok {
		return false
	}
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	if ac != nil && !authorize(w, req, ac, repo) {
		return true
	}
	w.Header().Set("Content-Type", m.mediaType)
	if !m.noDigest {
		w.Header().Set("Content-Length", strconv.Itoa(len(m.body)))
		w.Header().Set("Docker-Content-Digest", m.digest.String())
		w.Header().Set("Etag", `"`+m.digest.String()+`"`)
	}
	w.WriteHeader(http.StatusOK)
	if req.Method == http.MethodGet {
		_, _ = w.Write(m.body)
	}
	return true
}

// authorize checks pull access like the registry app would, writing the
// 401 challenge itself when access is denied.
func authorize(w http.ResponseWriter, req *http.Request, ac auth.AccessController, repo string) bool {
	_, err := ac.Authorized(req, auth.Access{
		Resource: auth.Resource{Type: "repository", Name: repo},
		Action:   "pull",
	})
	if err == nil {
		return true
	}
	status := http.StatusInternalServerError
	var ch auth.Challenge
	if errors.As(err, &ch) {
		ch.SetHeaders(req, w)
		status = http.StatusUnauthorized
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]string{{
		"code": "UNAUTHORIZED", "message": "authentication required",
	}}})
	return false
}

// parseManifestPath splits "/v2/<repo>/manifests/<ref>".
func parseManifestPath(p string) (repo, ref string, ok bool) {
	rest, ok := strings.CutPrefix(p, "/v2/")
	if !ok {
		return "", "", false
	}
	i := strings.LastIndex(rest, "/manifests/")
	if i <= 0 {
		return "", "", false
	}
	repo, ref = rest[:i], rest[i+len("/manifests/"):]
	return repo, ref, ref != "" && !strings.Contains(ref, "/")
}
