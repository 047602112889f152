package registry_test

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/berth-dev/berth/testutil/fixtures"
	"github.com/berth-dev/berth/testutil/registry"
)

func TestFailPathAndTimes(t *testing.T) {
	reg := registry.Start(t)
	img := pushSample(t, fixtures.NewClient(reg.Host()), "f/app")
	path := registry.ManifestPath("f/app", "latest")

	remove := reg.FailPath(path, http.StatusServiceUnavailable, `{"errors":[]}`)
	if r := get(t, http.MethodGet, reg.URL()+path, nil); r.status != http.StatusServiceUnavailable || string(r.body) != `{"errors":[]}` {
		t.Fatalf("faulted GET: %d %s", r.status, r.body)
	}
	remove()
	if r := get(t, http.MethodGet, reg.URL()+path, nil); r.status != http.StatusOK {
		t.Fatalf("GET after remove: %d", r.status)
	}

	reg.Inject(path, registry.Fault{Method: http.MethodGet, Times: 1, Status: http.StatusInternalServerError})
	if r := get(t, http.MethodHead, reg.URL()+path, nil); r.status != http.StatusOK {
		t.Fatalf("HEAD is not affected by a GET fault: %d", r.status)
	}
	if r := get(t, http.MethodGet, reg.URL()+path, nil); r.status != http.StatusInternalServerError {
		t.Fatalf("first GET: %d", r.status)
	}
	if r := get(t, http.MethodGet, reg.URL()+path, nil); r.status != http.StatusOK || r.header.Get("Docker-Content-Digest") != img.Digest.String() {
		t.Fatalf("second GET: %d", r.status)
	}
	if n := reg.Count(http.MethodGet, path); n != 4 {
		t.Fatalf("Count = %d, want 4 (faulted requests are recorded)", n)
	}
	statuses := []int{}
	for _, req := range reg.Requests() {
		if req.Path == path && req.Method == http.MethodGet {
			statuses = append(statuses, req.Status)
		}
	}
	if want := []int{503, 200, 500, 200}; len(statuses) != 4 || statuses[0] != want[0] || statuses[2] != want[2] {
		t.Fatalf("recorded statuses %v, want %v", statuses, want)
	}
}

func TestCorruptBlob(t *testing.T) {
	reg := registry.Start(t)
	img := pushSample(t, fixtures.NewClient(reg.Host()), "f/app")
	layer := img.Layers[0]
	reg.CorruptBlob("f/app", layer.Digest)

	r := get(t, http.MethodGet, reg.URL()+registry.BlobPath("f/app", layer.Digest), nil)
	if r.status != http.StatusOK || int64(len(r.body)) != layer.Size {
		t.Fatalf("GET corrupt blob: %d, %d bytes", r.status, len(r.body))
	}
	if digest.FromBytes(r.body) == layer.Digest {
		t.Fatal("corrupted blob still matches its digest")
	}
	if r.header.Get("Docker-Content-Digest") != layer.Digest.String() {
		t.Errorf("Docker-Content-Digest = %q", r.header.Get("Docker-Content-Digest"))
	}
	// Other blobs are untouched.
	other := img.Layers[1].Digest
	if r := get(t, http.MethodGet, reg.URL()+registry.BlobPath("f/app", other), nil); digest.FromBytes(r.body) != other {
		t.Fatal("sibling blob was altered")
	}
}

func TestRewriteAndDelay(t *testing.T) {
	reg := registry.Start(t)
	img := pushSample(t, fixtures.NewClient(reg.Host()), "f/app")
	cfg := registry.BlobPath("f/app", img.ConfigDigest)
	reg.Inject(cfg, registry.Fault{Delay: 200 * time.Millisecond, Rewrite: func([]byte) []byte { return []byte("{}") }})
	start := time.Now()
	r := get(t, http.MethodGet, reg.URL()+cfg, nil)
	if string(r.body) != "{}" || r.header.Get("Content-Length") != "2" {
		t.Fatalf("rewritten body %q, Content-Length %q", r.body, r.header.Get("Content-Length"))
	}
	if time.Since(start) < 200*time.Millisecond {
		t.Fatal("Delay not applied")
	}
}

func TestStallBlob(t *testing.T) {
	reg := registry.Start(t)
	img := pushSample(t, fixtures.NewClient(reg.Host()), "f/app")
	layer := img.Layers[0]
	url := reg.URL() + registry.BlobPath("f/app", layer.Digest)

	// Client disconnect while stalled.
	stall := reg.StallBlob("f/app", layer.Digest, 1000)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1000)
	if _, err := io.ReadFull(resp.Body, buf); err != nil {
		t.Fatalf("reading up to the stall point: %v", err)
	}
	select {
	case <-stall.Reached():
	case <-time.After(10 * time.Second):
		t.Fatal("stall not reached")
	}
	cancel()
	resp.Body.Close()
	select {
	case <-stall.ClientGone():
	case <-time.After(10 * time.Second):
		t.Fatal("server did not notice the client going away")
	}

	// After release the blob is served in full.
	stall.Release()
	r := get(t, http.MethodGet, url, nil)
	if digest.FromBytes(r.body) != layer.Digest {
		t.Fatalf("blob after release: %d bytes", len(r.body))
	}
}

func TestStallReleasedMidRequest(t *testing.T) {
	reg := registry.Start(t)
	img := pushSample(t, fixtures.NewClient(reg.Host()), "f/app")
	layer := img.Layers[0]
	stall := reg.StallBlob("f/app", layer.Digest, 10)
	go func() {
		<-stall.Reached()
		stall.Release()
	}()
	r := get(t, http.MethodGet, reg.URL()+registry.BlobPath("f/app", layer.Digest), nil)
	if digest.FromBytes(r.body) != layer.Digest {
		t.Fatalf("stalled-then-released blob: %d bytes", len(r.body))
	}
}
