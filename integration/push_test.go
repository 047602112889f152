package integration

import (
	"bufio"
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

	regtypes "github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client"

	"github.com/berth-dev/berth/testutil/berthd"
	"github.com/berth-dev/berth/testutil/fixtures"
	"github.com/berth-dev/berth/testutil/registry"
)

// slowUploads puts a proxy in front of reg that reads upload bodies at
// about 2 MB/s, so a push is slow enough to be seen in flight. It returns
// the proxy's host and a function giving the most uploads seen at once.
func slowUploads(t *testing.T, reg *registry.Registry) (string, func() int64) {
	t.Helper()
	target, _ := url.Parse(reg.URL())
	proxy := httputil.NewSingleHostReverseProxy(target)
	var inFlight, most atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/blobs/uploads/") {
			r.Body = &throttled{r: r.Body}
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://"), most.Load
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

// TestPushRequestErrors: a missing image is a 404 before any streaming; a
// bad platform is a 400 from API 1.46 on and ignored before.
func TestPushRequestErrors(t *testing.T) {
	e := newImgEnv(t)
	e.pushPull("err/app", "1", seedImage(410))
	name := e.reg.Host() + "/err/app"

	status, body := e.raw(http.MethodPost, "/images/"+name+"/push", url.Values{"tag": {"nope"}})
	if status != http.StatusNotFound || !strings.Contains(body, `"message":"No such image: `+name+`:nope"`) {
		t.Errorf("missing tag: %d %s", status, body)
	}
	status, body = e.raw(http.MethodPost, "/images/"+e.reg.Host()+"/none/push", nil)
	if status != http.StatusNotFound || !strings.Contains(body, "An image does not exist locally with the tag: "+e.reg.Host()+"/none") {
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
	u := "http://berthd/v1.44/images/" + name + "/push?tag=1&platform=%7B%22os%22%3A"
	req, _ := http.NewRequestWithContext(e.ctx, http.MethodPost, u, nil)
	resp, err := e.d.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	msgs := rawMessages(t, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(msgs) == 0 || msgs[len(msgs)-1]["aux"] == nil {
		t.Errorf("v1.44 push with a platform: %d %v", resp.StatusCode, msgs)
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

// TestPushTokens: X-Registry-Auth with an identity token (a refresh token)
// or a registry token pushes as with a password; a registry token without
// push access is refused in the stream with the registry's words.
func TestPushTokens(t *testing.T) {
	e := newAuthEnv(t, registry.WithTokenAuth(authUser, authPass, registry.AnonymousNoAccess))
	host := e.reg.Host()
	pullAuth := encodeAuth(t, regtypes.AuthConfig{Username: authUser, Password: authPass, ServerAddress: host})
	resp, err := e.api.ImagePull(t.Context(), e.ref("priv/app", "v1"), client.ImagePullOptions{RegistryAuth: pullAuth})
	if err != nil || resp.Wait(t.Context()) != nil {
		t.Fatalf("pull: %v", err)
	}
	push := func(tag string, auth regtypes.AuthConfig) (string, error) {
		target := e.ref("priv/pushed", tag)
		if _, err := e.api.ImageTag(t.Context(), client.ImageTagOptions{Source: e.ref("priv/app", "v1"), Target: target}); err != nil {
			t.Fatal(err)
		}
		resp, err := e.api.ImagePush(t.Context(), target, client.ImagePushOptions{RegistryAuth: encodeAuth(t, auth)})
		if err != nil {
			return "", err
		}
		defer resp.Close()
		var last string
		for m, err := range resp.JSONMessages(t.Context()) {
			if err != nil {
				return last, err
			}
			if m.Error != nil {
				return last, m.Error
			}
			if m.Status != "" {
				last = m.Status
			}
		}
		return last, nil
	}
	scope := "repository:priv/pushed:pull,push"
	cases := []struct {
		tag  string
		auth regtypes.AuthConfig
	}{
		{"identity", regtypes.AuthConfig{IdentityToken: e.tokenFromIssuer(t, true, scope), ServerAddress: host}},
		{"registry", regtypes.AuthConfig{RegistryToken: e.tokenFromIssuer(t, false, scope), ServerAddress: host}},
	}
	for _, tc := range cases {
		if last, err := push(tc.tag, tc.auth); err != nil || !strings.HasPrefix(last, tc.tag+": digest: "+e.img.Digest.String()) {
			t.Errorf("push with a %s token: last status %q, %v", tc.tag, last, err)
		}
	}
	pullOnly := regtypes.AuthConfig{RegistryToken: e.tokenFromIssuer(t, false, "repository:priv/pushed:pull"), ServerAddress: host}
	if _, err := push("pullonly", pullOnly); err == nil || err.Error() != "error from registry: authentication required" {
		t.Errorf("push with a pull-only registry token: %v", err)
	}
}
