package distribution_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/moby/moby/api/types/registry"
	"github.com/opencontainers/go-digest"

	"github.com/berth-dev/berth/distribution"
	"github.com/berth-dev/berth/testutil/fixtures"
	testregistry "github.com/berth-dev/berth/testutil/registry"
)

const (
	user = "alice"
	pass = "s3cret"
)

// blobEnv is a registry holding one image with a 1 MiB layer.
type blobEnv struct {
	reg   *testregistry.Registry
	img   *fixtures.BuiltImage
	layer fixtures.BuiltLayer
	path  string
}

func newBlobEnv(t *testing.T, opts ...testregistry.Option) *blobEnv {
	t.Helper()
	reg := testregistry.Start(t, opts...)
	c := fixtures.NewClient(reg.Host())
	c.Username, c.Password = user, pass
	img, err := c.Push(context.Background(), "t/app", fixtures.Image{Layers: []fixtures.Layer{{Seed: 9, Size: 1 << 20}}}, "v1")
	if err != nil {
		t.Fatal(err)
	}
	l := img.Layers[0]
	return &blobEnv{reg: reg, img: img, layer: l, path: testregistry.BlobPath("t/app", l.Digest)}
}

// fetcher is containerd's fetcher on berth's resolver for the image, as a
// pull makes it.
func (e *blobEnv) fetcher(ctx context.Context, t *testing.T, auth *registry.AuthConfig, opts ...distribution.TransportOption) remotes.Fetcher {
	t.Helper()
	regs := distribution.New(distribution.Config{
		InsecureRegistries: []string{e.reg.Host()},
		TransportOptions:   append([]distribution.TransportOption{distribution.WithBackoff(10 * time.Millisecond)}, opts...),
	})
	// Resolve first, as a pull does: the manifest request meets the
	// registry's challenge, so the blob request carries credentials.
	resolver := regs.Resolver(ctx, auth, nil)
	ref := e.reg.Host() + "/t/app:v1"
	if _, _, err := resolver.Resolve(ctx, ref); err != nil {
		t.Fatal(err)
	}
	f, err := resolver.Fetcher(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// fetch reads the layer through containerd's fetcher on berth's resolver,
// as a pull does.
func (e *blobEnv) fetch(t *testing.T, auth *registry.AuthConfig, opts ...distribution.TransportOption) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rc, err := e.fetcher(ctx, t, auth, opts...).Fetch(ctx, e.layer.Descriptor())
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// mustFetch fetches the layer, which must arrive whole, with the registry
// sending at most maxFactor times its size.
func (e *blobEnv) mustFetch(t *testing.T, maxFactor float64, opts ...distribution.TransportOption) {
	t.Helper()
	got, err := e.fetch(t, nil, opts...)
	if err != nil {
		t.Fatalf("fetch: %v\nrequests: %v", err, e.gets())
	}
	if digest.FromBytes(got) != e.layer.Digest {
		t.Fatalf("fetched %d bytes not matching %s", len(got), e.layer.Digest)
	}
	if served := e.reg.BytesServed(e.path); float64(served) > maxFactor*float64(e.layer.Size) {
		t.Errorf("registry sent %d bytes for a %d-byte blob (> %.1f×)", served, e.layer.Size, maxFactor)
	}
}

// gets lists the blob GETs: their Range header and status.
func (e *blobEnv) gets() []string {
	var out []string
	for _, r := range e.reg.Requests() {
		if r.Path == e.path && r.Method == http.MethodGet {
			out = append(out, r.Header.Get("Range")+" "+http.StatusText(r.Status))
		}
	}
	return out
}

func TestTransportResumesAfterReset(t *testing.T) {
	e := newBlobEnv(t)
	e.reg.ResetBlob("t/app", e.layer.Digest, e.layer.Size/2, 1)
	// A reset discards what was in flight: the resumed request starts
	// where the client got to, not where the registry did.
	e.mustFetch(t, 1.5)
	gets := e.gets()
	if len(gets) != 2 || !strings.HasPrefix(gets[1], "bytes=") {
		t.Errorf("GETs %q, want the second one ranged from where the reset hit", gets)
	}
}

func TestTransportResumesShortBody(t *testing.T) {
	e := newBlobEnv(t)
	e.reg.ShortBlob("t/app", e.layer.Digest, 300<<10, 2)
	e.mustFetch(t, 1.1)
	if gets := e.gets(); len(gets) != 3 {
		t.Errorf("GETs %q, want 3 (two short bodies, then the rest)", gets)
	}
}

func TestTransportResumesStalledBody(t *testing.T) {
	e := newBlobEnv(t)
	stall := e.reg.StallBlob("t/app", e.layer.Digest, 400<<10)
	defer stall.Release()
	start := time.Now()
	e.mustFetch(t, 1.1, distribution.WithStallTimeout(300*time.Millisecond))
	select {
	case <-stall.ClientGone():
	default:
		t.Error("the stalled connection was not given up")
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestTransportHonoursRetryAfter(t *testing.T) {
	e := newBlobEnv(t)
	e.reg.ThrottleBlob("t/app", e.layer.Digest, http.StatusTooManyRequests, time.Second, 1)
	start := time.Now()
	e.mustFetch(t, 1.1)
	if d := time.Since(start); d < time.Second {
		t.Errorf("retried after %v, before the Retry-After of 1s", d)
	}
	e.reg.ResetRequests()
	e.reg.ThrottleBlob("t/app", e.layer.Digest, http.StatusServiceUnavailable, 0, 2)
	e.mustFetch(t, 1.1)
	if gets := e.gets(); len(gets) != 3 {
		t.Errorf("GETs %q, want two 503s then the blob", gets)
	}
}

func TestTransportGivesUp(t *testing.T) {
	e := newBlobEnv(t)
	e.reg.ShortBlob("t/app", e.layer.Digest, 100<<10, 1)
	e.reg.FailPath(e.path, http.StatusInternalServerError, `{"errors":[]}`)
	_, err := e.fetch(t, nil, distribution.WithAttempts(3))
	if err == nil || !strings.Contains(err.Error(), "gave up after 3 attempts") {
		t.Fatalf("fetch: %v; want an error after 3 attempts", err)
	}
}

// TestRedirectDropsCredentialsAcrossOrigins: a registry with basic auth
// sends the blob download to another port of the same host; the download
// works, and the other origin never sees the credentials.
func TestRedirectDropsCredentialsAcrossOrigins(t *testing.T) {
	e := newBlobEnv(t, testregistry.WithBasicAuth(user, pass))
	origin := testregistry.StartOrigin(t)
	e.reg.RedirectBlob("t/app", e.layer.Digest, e.layer.Blob, origin)
	got, err := e.fetch(t, &registry.AuthConfig{Username: user, Password: pass, ServerAddress: e.reg.Host()})
	if err != nil || !bytes.Equal(got, e.layer.Blob) {
		t.Fatalf("fetch through the redirect: %v", err)
	}
	reqs := origin.Requests()
	if len(reqs) == 0 {
		t.Fatal("the origin was not asked (the test proves nothing)")
	}
	for _, r := range reqs {
		if h := r.Header.Get("Authorization"); h != "" {
			t.Errorf("the other origin received Authorization %q", h)
		}
	}
	var authed bool
	for _, r := range e.reg.Requests() {
		authed = authed || (r.Path == e.path && r.Header.Get("Authorization") != "")
	}
	if !authed {
		t.Error("the registry itself got no credentials for the blob")
	}
}

func TestTransportStopsOnFinalAnswer(t *testing.T) {
	e := newBlobEnv(t)
	e.reg.ShortBlob("t/app", e.layer.Digest, 100<<10, 1)
	e.reg.FailPath(e.path, http.StatusNotFound, `{"errors":[{"code":"BLOB_UNKNOWN"}]}`)
	_, err := e.fetch(t, nil)
	if err == nil || !strings.Contains(err.Error(), "resuming: 404 Not Found") || strings.Contains(err.Error(), "gave up") {
		t.Fatalf("fetch: %v; want the 404 at once", err)
	}
	if gets := e.gets(); len(gets) != 2 {
		t.Errorf("GETs %q: a 404 is not worth another attempt", gets)
	}
}
