package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
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
	r.serveManifest(repo, rawManifest{mediaType: mediaType, digest: dgst}, body, tags)
}

// ServeManifestWithoutDigest is ServeManifest for a registry that sends
// neither Docker-Content-Digest nor Content-Length with a manifest (some old
// ones did not): a client must GET the manifest to learn its digest.
func (r *Registry) ServeManifestWithoutDigest(repo, mediaType string, body []byte, dgst digest.Digest, tags ...string) {
	r.serveManifest(repo, rawManifest{mediaType: mediaType, digest: dgst, noDigest: true}, body, tags)
}

func (r *Registry) serveManifest(repo string, m rawManifest, body []byte, tags []string) {
	if m.digest == "" {
		m.digest = digest.FromBytes(body)
	}
	m.size = int64(len(body))
	m.open = func() io.Reader { return bytes.NewReader(body) }
	r.serveRaw(repo, m, tags...)
}

// ServeManifestStream is ServeManifest for a body made on demand by open
// (size bytes, digest dgst), so a test can serve a huge manifest without
// holding it.
func (r *Registry) ServeManifestStream(repo, mediaType string, size int64, dgst digest.Digest, open func() io.Reader, tags ...string) {
	r.serveRaw(repo, rawManifest{mediaType: mediaType, size: size, open: open, digest: dgst}, tags...)
}

// ServeBlob makes GET and HEAD /v2/<repo>/blobs/<dgst> answer a body made
// on demand by open (size bytes), in front of the real registry: for
// generated content too large to push.
func (r *Registry) ServeBlob(repo string, size int64, dgst digest.Digest, open func() io.Reader) {
	r.manifests.mu.Lock()
	defer r.manifests.mu.Unlock()
	r.manifests.m[repo+"/blobs@"+dgst.String()] = rawManifest{mediaType: "application/octet-stream", size: size, open: open, digest: dgst}
}

func (r *Registry) serveRaw(repo string, m rawManifest, tags ...string) {
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
	size      int64
	open      func() io.Reader
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
	var key string
	repo, ref, ok := parseManifestPath(req.URL.Path)
	switch {
	case ok && strings.Contains(ref, ":"):
		key = repo + "@" + ref
	case ok:
		key = repo + ":" + ref
	default:
		if repo, ref, ok = parseBlobPath(req.URL.Path); !ok {
			return false
		}
		key = repo + "/blobs@" + ref
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
		w.Header().Set("Content-Length", strconv.FormatInt(m.size, 10))
		w.Header().Set("Docker-Content-Digest", m.digest.String())
		w.Header().Set("Etag", `"`+m.digest.String()+`"`)
	}
	w.WriteHeader(http.StatusOK)
	if req.Method == http.MethodGet {
		_, _ = io.Copy(w, m.open())
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

// parseBlobPath splits "/v2/<repo>/blobs/<digest>".
func parseBlobPath(p string) (repo, dgst string, ok bool) {
	rest, ok := strings.CutPrefix(p, "/v2/")
	if !ok {
		return "", "", false
	}
	i := strings.LastIndex(rest, "/blobs/")
	if i <= 0 {
		return "", "", false
	}
	repo, dgst = rest[:i], rest[i+len("/blobs/"):]
	return repo, dgst, strings.HasPrefix(dgst, "sha256:")
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
