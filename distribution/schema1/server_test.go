package schema1

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/opencontainers/go-digest"

	"github.com/berth-dev/berth/testutil/fixtures"
	testregistry "github.com/berth-dev/berth/testutil/registry"
)

// testRegistry serves one repository from the project's test registry
// (testutil/registry): blobs pushed to it, raw manifests served in front of
// it, optional basic auth (password "pw"), and its request log. It starts
// on first use, so user and noDigest may be set right after
// newTestRegistry.
type testRegistry struct {
	t    *testing.T
	repo string
	reg  *testregistry.Registry

	mu       sync.Mutex
	corrupt  map[digest.Digest]bool // blobs served with one byte flipped
	noDigest bool                   // omit Docker-Content-Digest on manifests
	user     string                 // basic auth user ("" = anonymous)
}

func newTestRegistry(t *testing.T, repo string) *testRegistry {
	return &testRegistry{t: t, repo: repo, corrupt: map[digest.Digest]bool{}}
}

// registry starts the registry on first use.
func (r *testRegistry) registry() *testregistry.Registry {
	if r.reg == nil {
		var opts []testregistry.Option
		if r.user != "" {
			opts = append(opts, testregistry.WithBasicAuth(r.user, "pw"))
		}
		r.reg = testregistry.Start(r.t, opts...)
	}
	return r.reg
}

func (r *testRegistry) host() string { return r.registry().Host() }

func (r *testRegistry) ref(tagOrDigest string) string {
	sep := ":"
	if strings.Contains(tagOrDigest, ":") {
		sep = "@"
	}
	return r.host() + "/" + r.repo + sep + tagOrDigest
}

func (r *testRegistry) addBlob(b []byte) digest.Digest {
	r.t.Helper()
	reg := r.registry()
	push := &fixtures.Client{Host: reg.Host(), Username: r.user, Password: "pw"}
	d, err := push.PushBlob(context.Background(), r.repo, b)
	if err != nil {
		r.t.Fatal(err)
	}
	reg.Inject(testregistry.BlobPath(r.repo, d), testregistry.Fault{Method: http.MethodGet, Rewrite: func(body []byte) []byte {
		r.mu.Lock()
		defer r.mu.Unlock()
		if !r.corrupt[d] {
			return body
		}
		out := bytes.Clone(body)
		out[len(out)/2] ^= 0xff
		return out
	}})
	return d
}

func (r *testRegistry) addManifest(mediaType string, body []byte, dgst digest.Digest, tags ...string) {
	if r.noDigest {
		r.registry().ServeManifestWithoutDigest(r.repo, mediaType, body, dgst, tags...)
		return
	}
	r.registry().ServeManifest(r.repo, mediaType, body, dgst, tags...)
}

// requests returns the requests containing s, as "METHOD path [range]",
// leaving out the uploads of addBlob.
func (r *testRegistry) requests(s string) []string {
	var out []string
	for _, req := range r.registry().Requests() {
		if strings.Contains(req.Path, "/blobs/uploads/") {
			continue
		}
		l := strings.TrimSpace(req.Method + " " + req.Path + " " + req.Header.Get("Range"))
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return out
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
