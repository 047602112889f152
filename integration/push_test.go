package integration

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/berth-dev/berth/testutil/berthd"
	"github.com/berth-dev/berth/testutil/fixtures"
	"github.com/berth-dev/berth/testutil/registry"
)

// uploadProxy puts a proxy in front of reg that calls onUpload for each
// blob upload (PUT) before passing it on; it returns the proxy's host.
func uploadProxy(t *testing.T, reg *registry.Registry, onUpload func(r *http.Request) (done func())) string {
	t.Helper()
	target, _ := url.Parse(reg.URL())
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/blobs/uploads/") {
			defer onUpload(r)()
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// slowUploads is an uploadProxy that reads upload bodies at about 2 MB/s,
// so a push is slow enough to be seen in flight. It also returns a
// function giving the most uploads seen at once.
func slowUploads(t *testing.T, reg *registry.Registry) (string, func() int64) {
	t.Helper()
	var inFlight, most atomic.Int64
	host := uploadProxy(t, reg, func(r *http.Request) func() {
		r.Body = &throttled{r: r.Body}
		n := inFlight.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		return func() { inFlight.Add(-1) }
	})
	return host, most.Load
}

type throttled struct{ r io.ReadCloser }

func (t *throttled) Read(p []byte) (int, error) {
	time.Sleep(16 * time.Millisecond)
	return t.r.Read(p[:min(len(p), 32<<10)])
}

func (t *throttled) Close() error { return t.r.Close() }

// rawMessages reads a JSON stream into generic objects.
func rawMessages(t *testing.T, body io.Reader) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	sc.Split(splitCRLF)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not a JSON message: %q", sc.Text())
		}
		out = append(out, m)
	}
	return out
}

// TestPushStream reads the push's JSON stream as a client library does:
// every row line has an id and a progressDetail object, bytes are counted
// while the layer is in flight, and the stream ends with the digest line
// and the aux {Tag, Digest, Size}.
func TestPushStream(t *testing.T) {
	// Another registry than the source: mounts would skip the upload.
	reg := registry.Start(t)
	host, _ := slowUploads(t, registry.Start(t))
	d := berthd.Start(t)
	e := &imgEnv{t: t, reg: reg, d: d}
	e.ctx = t.Context()
	built, err := fixtures.Push(e.ctx, reg.Host(), "src/app", "v1", fixtures.Image{
		Layers: []fixtures.Layer{{Seed: 400, Size: 1 << 20, NumFiles: 2}},
	})
	if err != nil {
		t.Fatal(err)
	}
	api, err := client.New(client.WithHost(d.Host()), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	e.api = api
	e.pull(e.ref("src/app", "v1"), nil)
	if _, err := api.ImageTag(e.ctx, client.ImageTagOptions{Source: e.ref("src/app", "v1"), Target: host + "/dst/app:v1"}); err != nil {
		t.Fatal(err)
	}

	req, _ := http.NewRequestWithContext(e.ctx, http.MethodPost, "http://berthd/v1.50/images/"+host+"/dst/app/push?tag=v1", nil)
	req.Header.Set("X-Registry-Auth", "e30=") // {}
	resp, err := d.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	msgs := rawMessages(t, resp.Body)
	if resp.StatusCode != http.StatusOK || len(msgs) < 4 {
		t.Fatalf("status %d, %d messages", resp.StatusCode, len(msgs))
	}
	if got := msgs[0]["status"]; got != "The push refers to repository ["+host+"/dst/app]" {
		t.Errorf("first message %v", msgs[0])
	}
	layer := built.Layers[0]
	id := layer.Digest.Encoded()[:12]
	var statuses []string
	sawBytes := false
	for _, m := range msgs {
		if _, ok := m["id"]; !ok {
			continue
		}
		detail, ok := m["progressDetail"].(map[string]any)
		if !ok {
			t.Errorf("message with an id but no progressDetail object: %v", m)
		}
		if m["id"] != id {
			t.Errorf("row for %v: only the layer has one (not the config %s)", m["id"], built.ConfigDigest.Encoded()[:12])
			continue
		}
		statuses = append(statuses, m["status"].(string))
		if m["status"] == "Pushing" {
			cur, _ := detail["current"].(float64)
			total, _ := detail["total"].(float64)
			if int64(total) != layer.Size || cur <= 0 || cur > total {
				t.Errorf("Pushing detail %v, want 0 < current <= total = %d", detail, layer.Size)
			}
			sawBytes = true
		}
	}
	if !sawBytes || statuses[0] != "Preparing" || statuses[len(statuses)-1] != "Pushed" {
		t.Errorf("layer statuses %q: want Preparing, Pushing with bytes, Pushed", statuses)
	}
	n := len(msgs)
	wantDigest := fmt.Sprintf("v1: digest: %s size: %d", built.Digest, len(built.Manifest))
	if msgs[n-2]["status"] != wantDigest {
		t.Errorf("next to last message %v, want %q", msgs[n-2], wantDigest)
	}
	aux, _ := msgs[n-1]["aux"].(map[string]any)
	if aux["Tag"] != "v1" || aux["Digest"] != built.Digest.String() || aux["Size"] != float64(len(built.Manifest)) {
		t.Errorf("last message %v, want the aux Tag/Digest/Size", msgs[n-1])
	}
}

// TestPushRequestErrors: a missing tag or repository is an error in the
// stream after the repository line, as dockerd's; a bad platform is a 400
// from API 1.46 on and ignored before.
func TestPushRequestErrors(t *testing.T) {
	e := newImgEnv(t)
	e.pushPull("err/app", "1", seedImage(410))
	name := e.reg.Host() + "/err/app"

	status, body := e.raw(http.MethodPost, "/images/"+name+"/push", url.Values{"tag": {"nope"}})
	if status != http.StatusOK || !strings.Contains(body, "The push refers to repository ["+name+"]") ||
		!strings.Contains(body, `"error":"tag does not exist: `+name+`:nope"`) {
		t.Errorf("missing tag: %d %s", status, body)
	}
	status, body = e.raw(http.MethodPost, "/images/"+e.reg.Host()+"/none/push", nil)
	if status != http.StatusOK || !strings.Contains(body, `"error":"An image does not exist locally with the tag: `+e.reg.Host()+`/none"`) {
		t.Errorf("repository without tags: %d %s", status, body)
	}
	status, body = e.raw(http.MethodPost, "/images/"+name+"/push", url.Values{"tag": {"1"}, "platform": {`{"os":"linux"}`}})
	if status != http.StatusBadRequest || !strings.Contains(body, "both OS and Architecture must be provided") {
		t.Errorf("bad platform: %d %s", status, body)
	}
	status, body = e.raw(http.MethodPost, "/images/"+name+"/push", url.Values{"tag": {"1"}, "platform": {`{"os":`}})
	if status != http.StatusBadRequest || !strings.Contains(body, "failed to parse platform") {
		t.Errorf("malformed platform: %d %s", status, body)
	}
	// Before 1.46 the platform is not looked at.
	status, raw := e.at("1.44", http.MethodPost, "/images/"+name+"/push", url.Values{"tag": {"1"}, "platform": {`{"os":`}})
	msgs := rawMessages(t, bytes.NewReader(raw))
	if status != http.StatusOK || len(msgs) == 0 || msgs[len(msgs)-1]["aux"] == nil {
		t.Errorf("v1.44 push with a platform: %d %v", status, msgs)
	}
}

// TestPushMaxConcurrentUploads: --max-concurrent-uploads caps the blobs a
// push sends at once; dockerd's default (5) lets several go together.
func TestPushMaxConcurrentUploads(t *testing.T) {
	for _, tc := range []struct {
		args      []string
		most, max int64
	}{
		{[]string{"--max-concurrent-uploads", "1"}, 1, 1},
		{nil, 2, 5},
	} {
		reg := registry.Start(t)
		host, most := slowUploads(t, registry.Start(t))
		d := berthd.Start(t, tc.args...)
		api, err := client.New(client.WithHost(d.Host()), client.WithAPIVersionNegotiation())
		if err != nil {
			t.Fatal(err)
		}
		e := &imgEnv{t: t, ctx: t.Context(), reg: reg, d: d, api: api}
		img := fixtures.Image{Layers: []fixtures.Layer{{Seed: 420, Size: 256 << 10}, {Seed: 421, Size: 256 << 10}, {Seed: 422, Size: 256 << 10}}}
		e.pushPull("conc/app", "1", img)
		if _, err := api.ImageTag(e.ctx, client.ImageTagOptions{Source: e.ref("conc/app", "1"), Target: host + "/conc/app:1"}); err != nil {
			t.Fatal(err)
		}
		resp, err := api.ImagePush(e.ctx, host+"/conc/app:1", client.ImagePushOptions{RegistryAuth: "e30="})
		if err != nil {
			t.Fatal(err)
		}
		if err := resp.Wait(e.ctx); err != nil {
			t.Fatalf("push %v: %v", tc.args, err)
		}
		if got := most(); got < tc.most || got > tc.max {
			t.Errorf("berthd %v: %d uploads at once, want %d to %d", tc.args, got, tc.most, tc.max)
		}
		api.Close()
	}
}

// TestPushHoldsItsContent: removing the image while its push runs does not
// take the content from under the push (it runs under a lease); the
// content goes once the push is over.
func TestPushHoldsItsContent(t *testing.T) {
	reg := registry.Start(t)
	started := make(chan struct{}, 10)
	gate := make(chan struct{})
	host := uploadProxy(t, registry.Start(t), func(*http.Request) func() {
		started <- struct{}{}
		<-gate
		return func() {}
	})
	d := berthd.Start(t, "--max-concurrent-uploads", "1")
	api, err := client.New(client.WithHost(d.Host()), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	e := &imgEnv{t: t, ctx: t.Context(), reg: reg, d: d, api: api}
	img := fixtures.Image{Layers: []fixtures.Layer{{Seed: 430, Size: 64 << 10}, {Seed: 431, Size: 64 << 10}, {Seed: 432, Size: 64 << 10}}}
	built := e.pushPull("hold/app", "1", img)
	target := host + "/hold/app:1"
	if _, err := api.ImageTag(e.ctx, client.ImageTagOptions{Source: e.ref("hold/app", "1"), Target: target}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		resp, err := api.ImagePush(e.ctx, target, client.ImagePushOptions{RegistryAuth: "e30="})
		if err == nil {
			err = resp.Wait(e.ctx)
		}
		done <- err
	}()
	select {
	case <-started:
	case err := <-done:
		t.Fatalf("push ended before its first upload: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("no upload started")
	}
	for _, name := range []string{target, e.ref("hold/app", "1")} {
		if _, err := api.ImageRemove(e.ctx, name, client.ImageRemoveOptions{Force: true}); err != nil {
			t.Fatal(err)
		}
	}
	close(gate)
	if err := <-done; err != nil {
		t.Fatalf("push after the image was removed: %v", err)
	}
	// Pulled back from the registry it went to: the same manifest.
	e.pull(target, nil)
	inspect, err := api.ImageInspect(e.ctx, target)
	if err != nil || len(inspect.RepoDigests) != 1 || !strings.HasSuffix(inspect.RepoDigests[0], "@"+built.Digest.String()) {
		t.Errorf("pulled back: %+v %v, want digest %s", inspect.RepoDigests, err, built.Digest)
	}
}
