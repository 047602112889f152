package registry_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/berth-dev/berth/testutil/fixtures"
	"github.com/berth-dev/berth/testutil/registry"
)

const accept = fixtures.MediaTypeDockerManifest + ", " + fixtures.MediaTypeDockerManifestList +
	", application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json"

type response struct {
	status int
	header http.Header
	body   []byte
}

// get issues a request with optional basic auth or bearer token.
func get(t *testing.T, method, url string, hdr map[string]string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", accept)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return response{resp.StatusCode, resp.Header, body}
}

func pushSample(t *testing.T, c *fixtures.Client, repo string) *fixtures.BuiltImage {
	t.Helper()
	img, err := c.Push(context.Background(), repo, fixtures.Image{
		Layers: []fixtures.Layer{{Seed: 1, Size: 64 << 10}, {Seed: 2, Size: 32 << 10}},
		Cmd:    []string{"sh"},
	}, "latest")
	if err != nil {
		t.Fatalf("push: %v", err)
	}
	return img
}

func TestPushAndFetch(t *testing.T) {
	reg := registry.Start(t)
	if !strings.HasPrefix(reg.Host(), "127.0.0.1:") {
		t.Fatalf("Host() = %q", reg.Host())
	}
	img := pushSample(t, fixtures.NewClient(reg.Host()), "library/sample")
	reg.ResetRequests()

	for _, ref := range []string{"latest", img.Digest.String()} {
		r := get(t, http.MethodGet, reg.URL()+registry.ManifestPath("library/sample", ref), nil)
		if r.status != http.StatusOK {
			t.Fatalf("GET manifest %s: %d %s", ref, r.status, r.body)
		}
		if ct := r.header.Get("Content-Type"); ct != fixtures.MediaTypeDockerManifest {
			t.Errorf("Content-Type = %q", ct)
		}
		if d := r.header.Get("Docker-Content-Digest"); d != img.Digest.String() {
			t.Errorf("Docker-Content-Digest = %q, want %s", d, img.Digest)
		}
		if !bytes.Equal(r.body, img.Manifest) {
			t.Errorf("manifest body differs")
		}
	}
	for _, d := range append([]digest.Digest{img.ConfigDigest}, img.LayerDigests()...) {
		r := get(t, http.MethodGet, reg.URL()+registry.BlobPath("library/sample", d), nil)
		if r.status != http.StatusOK || digest.FromBytes(r.body) != d {
			t.Fatalf("GET blob %s: status %d, digest %s", d, r.status, digest.FromBytes(r.body))
		}
	}

	if n := reg.Count(http.MethodGet, registry.ManifestPath("library/sample", "latest")); n != 1 {
		t.Errorf("Count(manifest latest) = %d, want 1", n)
	}
	fetched := reg.FetchedBlobs("library/sample")
	if len(fetched) != 3 || fetched[0] != img.ConfigDigest {
		t.Errorf("FetchedBlobs = %v", fetched)
	}
	for _, req := range reg.Requests() {
		if req.Status != http.StatusOK {
			t.Errorf("%s %s recorded status %d", req.Method, req.Path, req.Status)
		}
	}
}

func TestStorageDir(t *testing.T) {
	dir := t.TempDir()
	reg := registry.Start(t, registry.WithStorageDir(dir))
	img := pushSample(t, fixtures.NewClient(reg.Host()), "disk/sample")
	if err := reg.Close(); err != nil {
		t.Fatal(err)
	}
	// A second registry on the same directory sees the content.
	reg2 := registry.Start(t, registry.WithStorageDir(dir))
	r := get(t, http.MethodHead, reg2.URL()+registry.ManifestPath("disk/sample", "latest"), nil)
	if r.status != http.StatusOK || r.header.Get("Docker-Content-Digest") != img.Digest.String() {
		t.Fatalf("HEAD after restart: %d %v", r.status, r.header)
	}
}

func TestServeManifest(t *testing.T) {
	reg := registry.Start(t, registry.WithBasicAuth("alice", "s3cret"))
	body := []byte(`{"schemaVersion": 1, "name": "old/image"}`)
	dgst := digest.FromString("payload-digest")
	reg.ServeManifest("old/image", fixtures.MediaTypeSchema1Signed, body, dgst, "v1")

	if r := get(t, http.MethodGet, reg.URL()+registry.ManifestPath("old/image", "v1"), nil); r.status != http.StatusUnauthorized ||
		!strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic") {
		t.Fatalf("anonymous GET raw manifest: %d %v", r.status, r.header)
	}
	auth := map[string]string{"Authorization": basic("alice", "s3cret")}
	for _, ref := range []string{"v1", dgst.String()} {
		r := get(t, http.MethodGet, reg.URL()+registry.ManifestPath("old/image", ref), auth)
		if r.status != http.StatusOK || !bytes.Equal(r.body, body) {
			t.Fatalf("GET %s: %d %s", ref, r.status, r.body)
		}
		if r.header.Get("Content-Type") != fixtures.MediaTypeSchema1Signed || r.header.Get("Docker-Content-Digest") != dgst.String() {
			t.Errorf("GET %s headers: %v", ref, r.header)
		}
	}
	// Unknown refs fall through to the registry.
	if r := get(t, http.MethodGet, reg.URL()+registry.ManifestPath("old/image", "v2"), auth); r.status != http.StatusNotFound {
		t.Errorf("GET unknown tag: %d %s", r.status, r.body)
	}
}

func TestServeManifestWithoutDigest(t *testing.T) {
	reg := registry.Start(t)
	body := []byte(`{"schemaVersion": 1, "name": "old/image"}`)
	dgst := digest.FromString("payload-digest")
	reg.ServeManifestWithoutDigest("old/image", fixtures.MediaTypeSchema1Signed, body, dgst, "v1")
	for _, ref := range []string{"v1", dgst.String()} {
		r := get(t, http.MethodGet, reg.URL()+registry.ManifestPath("old/image", ref), nil)
		if r.status != http.StatusOK || !bytes.Equal(r.body, body) {
			t.Fatalf("GET %s: %d %s", ref, r.status, r.body)
		}
		if r.header.Get("Docker-Content-Digest") != "" || r.header.Get("Etag") != "" {
			t.Errorf("GET %s sent a digest: %v", ref, r.header)
		}
	}
	if r := get(t, http.MethodHead, reg.URL()+registry.ManifestPath("old/image", "v1"), nil); r.status != http.StatusOK || r.header.Get("Docker-Content-Digest") != "" {
		t.Errorf("HEAD: %d %v", r.status, r.header)
	}
}
