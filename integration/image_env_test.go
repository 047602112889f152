package integration

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/moby/moby/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/testutil/berthd"
	"github.com/berth-dev/berth/testutil/fixtures"
	"github.com/berth-dev/berth/testutil/registry"
)

// imgEnv is one berthd with its own registry and an Engine API client.
type imgEnv struct {
	t   *testing.T
	ctx context.Context
	reg *registry.Registry
	d   *berthd.Daemon
	api *client.Client
}

func newImgEnv(t *testing.T) *imgEnv {
	t.Helper()
	reg := registry.Start(t)
	d := berthd.Start(t, "--insecure-registry", reg.Host())
	api, err := client.New(client.WithHost(d.Host()), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { api.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return &imgEnv{t: t, ctx: ctx, reg: reg, d: d, api: api}
}

func (e *imgEnv) ref(repo, tag string) string {
	return e.reg.Host() + "/" + repo + ":" + tag
}

// pushPull pushes img as repo:tag and pulls it (for platform, if given).
func (e *imgEnv) pushPull(repo, tag string, img fixtures.Image) *fixtures.BuiltImage {
	e.t.Helper()
	b, err := fixtures.Push(e.ctx, e.reg.Host(), repo, tag, img)
	if err != nil {
		e.t.Fatal(err)
	}
	e.pull(e.ref(repo, tag), nil)
	return b
}

// pull pulls ref and fails the test unless the stream ends without error.
func (e *imgEnv) pull(ref string, platform *ocispec.Platform) {
	e.t.Helper()
	opts := client.ImagePullOptions{}
	if platform != nil {
		opts.Platforms = []ocispec.Platform{*platform}
	}
	resp, err := e.api.ImagePull(e.ctx, ref, opts)
	if err != nil {
		e.t.Fatalf("pull %s: %v", ref, err)
	}
	if err := resp.Wait(e.ctx); err != nil {
		e.t.Fatalf("pull %s: %v", ref, err)
	}
}

// send sends method path?query with body (nil: none) at API version v
// straight to the daemon, bypassing client-side checks, and returns the
// status and the response body.
func (e *imgEnv) send(v, method, path string, query url.Values, body io.Reader) (int, []byte) {
	e.t.Helper()
	u := "http://berthd/v" + v + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(e.ctx, method, u, body)
	if err != nil {
		e.t.Fatal(err)
	}
	resp, err := e.d.HTTPClient().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// at sends method path?query at API version v, without body.
func (e *imgEnv) at(v, method, path string, query url.Values) (int, []byte) {
	e.t.Helper()
	return e.send(v, method, path, query, nil)
}

// raw sends method path?query at API 1.50, without body, and returns the
// status and the body as text.
func (e *imgEnv) raw(method, path string, query url.Values) (int, string) {
	e.t.Helper()
	status, body := e.send("1.50", method, path, query, nil)
	return status, string(body)
}

func seedImage(seed int64) fixtures.Image {
	return fixtures.Image{Layers: []fixtures.Layer{{Seed: seed, Size: 64 << 10}}, Cmd: []string{"sh"}}
}
