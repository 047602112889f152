package schema1

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/opencontainers/go-digest"
)

// testRegistry is a minimal read-only registry (real HTTP) for one
// repository: blobs with Range support, raw manifests, optional basic
// auth, and a request log.
type testRegistry struct {
	t    *testing.T
	srv  *httptest.Server
	repo string

	mu        sync.Mutex
	blobs     map[digest.Digest][]byte
	corrupt   map[digest.Digest]bool
	manifests map[string]testManifest // by tag or digest
	noDigest  bool                    // omit Docker-Content-Digest on manifests
	user      string                  // basic auth user ("" = anonymous)
	log       []string                // "METHOD path [range]"
}

type testManifest struct {
	mediaType string
	body      []byte
	digest    digest.Digest
}

func newTestRegistry(t *testing.T, repo string) *testRegistry {
	r := &testRegistry{
		t: t, repo: repo,
		blobs:     map[digest.Digest][]byte{},
		corrupt:   map[digest.Digest]bool{},
		manifests: map[string]testManifest{},
	}
	r.srv = httptest.NewServer(r)
	t.Cleanup(r.srv.Close)
	return r
}

func (r *testRegistry) host() string { return strings.TrimPrefix(r.srv.URL, "http://") }

func (r *testRegistry) ref(tagOrDigest string) string {
	sep := ":"
	if strings.Contains(tagOrDigest, ":") {
		sep = "@"
	}
	return r.host() + "/" + r.repo + sep + tagOrDigest
}

func (r *testRegistry) addBlob(b []byte) digest.Digest {
	d := digest.FromBytes(b)
	r.mu.Lock()
	r.blobs[d] = b
	r.mu.Unlock()
	return d
}

func (r *testRegistry) addManifest(mediaType string, body []byte, dgst digest.Digest, tags ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := testManifest{mediaType, body, dgst}
	r.manifests[dgst.String()] = m
	for _, tag := range tags {
		r.manifests[tag] = m
	}
}

// requests returns the logged requests containing s.
func (r *testRegistry) requests(s string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, l := range r.log {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return out
}

func (r *testRegistry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.log = append(r.log, strings.TrimSpace(req.Method+" "+req.URL.Path+" "+req.Header.Get("Range")))
	user := r.user
	r.mu.Unlock()
	if user != "" {
		if u, _, ok := req.BasicAuth(); !ok || u != user {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
	}
	if req.URL.Path == "/v2/" {
		return
	}
	rest, ok := strings.CutPrefix(req.URL.Path, "/v2/"+r.repo+"/")
	if !ok {
		http.NotFound(w, req)
		return
	}
	kind, ref, _ := strings.Cut(rest, "/")
	r.mu.Lock()
	defer r.mu.Unlock()
	switch kind {
	case "blobs":
		data, ok := r.blobs[digest.Digest(ref)]
		if !ok {
			http.NotFound(w, req)
			return
		}
		if r.corrupt[digest.Digest(ref)] {
			data = append([]byte(nil), data...)
			data[len(data)/2] ^= 0xff
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Docker-Content-Digest", ref)
		http.ServeContent(w, req, "", time.Time{}, bytes.NewReader(data))
	case "manifests":
		m, ok := r.manifests[ref]
		if !ok {
			http.NotFound(w, req)
			return
		}
		w.Header().Set("Content-Type", m.mediaType)
		if !r.noDigest {
			w.Header().Set("Docker-Content-Digest", m.digest.String())
			w.Header().Set("Content-Length", strconv.Itoa(len(m.body)))
		}
		if req.Method == http.MethodGet {
			_, _ = w.Write(m.body)
		}
	default:
		http.NotFound(w, req)
	}
}

// hosts is containerd's default host configuration over plain HTTP, with
// basic-auth credentials for user (password "pw").
func testHosts(user string) docker.RegistryHosts {
	creds := func(string) (string, string, error) { return user, "pw", nil }
	return docker.ConfigureDefaultRegistries(
		docker.WithPlainHTTP(docker.MatchAllHosts),
		docker.WithAuthorizer(docker.NewDockerAuthorizer(docker.WithAuthCreds(creds))),
	)
}

// testResolver resolves with schema 1 in the Accept header, as the pull
// must.
func testResolver(user string) remotes.Resolver {
	return docker.NewResolver(docker.ResolverOptions{
		Hosts:   testHosts(user),
		Headers: http.Header{"Accept": {ResolveAccept}},
	})
}

// fetcherFor returns the by-digest fetcher of ref's repository.
func fetcherFor(t *testing.T, resolver remotes.Resolver, ref string) remotes.FetcherByDigest {
	t.Helper()
	f, err := resolver.Fetcher(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	fbd, ok := f.(remotes.FetcherByDigest)
	if !ok {
		t.Fatalf("fetcher %T cannot fetch by digest", f)
	}
	return fbd
}
