package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client"

	"github.com/berth-dev/berth/testutil/berthd"
	"github.com/berth-dev/berth/testutil/fixtures"
	testregistry "github.com/berth-dev/berth/testutil/registry"
)

// pullEnv is one berthd trusting one in-process registry over plain HTTP,
// with an SDK client and raw HTTP access to the daemon.
type pullEnv struct {
	t   *testing.T
	reg *testregistry.Registry
	d   *berthd.Daemon
	api *client.Client
}

func newPullEnv(t *testing.T, opts ...testregistry.Option) *pullEnv {
	t.Helper()
	reg := testregistry.Start(t, opts...)
	d := berthd.Start(t, "--insecure-registry", reg.Host())
	return &pullEnv{t: t, reg: reg, d: d, api: newAPIClient(t, d)}
}

func newAPIClient(t *testing.T, d *berthd.Daemon) *client.Client {
	t.Helper()
	c, err := client.New(client.WithHost(d.Host()), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// ref is "HOST/repo:tag" in the test registry.
func (e *pullEnv) ref(repo, tag string) string { return e.reg.Host() + "/" + repo + ":" + tag }

// push builds img and pushes it as repo:tag (anonymously unless c says).
func (e *pullEnv) push(repo, tag string, img fixtures.Image) *fixtures.BuiltImage {
	e.t.Helper()
	return pushWith(e.t, fixtures.NewClient(e.reg.Host()), repo, tag, img)
}

func pushWith(t *testing.T, c *fixtures.Client, repo, tag string, img fixtures.Image) *fixtures.BuiltImage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b, err := c.Push(ctx, repo, img, tag)
	if err != nil {
		t.Fatalf("push %s:%s: %v", repo, tag, err)
	}
	return b
}

// layeredImage is a small image whose content depends on seed.
func layeredImage(seeds ...int64) fixtures.Image {
	img := fixtures.Image{Cmd: []string{"sh"}}
	for _, s := range seeds {
		img.Layers = append(img.Layers, fixtures.Layer{Seed: s, Size: 32 << 10})
	}
	return img
}

// rawResponse is a POST /images/create answer as the wire carried it.
type rawResponse struct {
	status      int
	contentType string
	body        []byte
}

// rawPull posts /images/create with the given query (fromImage, tag,
// platform…) and X-Registry-Auth (if not empty) and reads the whole answer.
func (e *pullEnv) rawPull(t *testing.T, query url.Values, authHeader string) rawResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://berthd/v1.50/images/create?"+query.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if authHeader != "" {
		req.Header.Set(registry.AuthHeader, authHeader)
	}
	resp, err := e.d.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("POST /images/create?%s: %v", query.Encode(), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read /images/create?%s: %v", query.Encode(), err)
	}
	return rawResponse{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: body}
}

// pullQuery is the query the CLI sends for fromImage and tag.
func pullQuery(fromImage, tag string) url.Values {
	q := url.Values{"fromImage": {fromImage}}
	if tag != "" {
		q.Set("tag", tag)
	}
	return q
}

// messages checks the wire format of a pull stream (200, application/json,
// every object followed by "\r\n") and decodes it.
func (r rawResponse) messages(t *testing.T) []jsonstream.Message {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d, want 200; body %s", r.status, r.body)
	}
	if r.contentType != "application/json" {
		t.Errorf("Content-Type %q, want application/json", r.contentType)
	}
	if !bytes.HasSuffix(r.body, []byte("\r\n")) {
		t.Errorf("stream does not end with \\r\\n: %q", lastBytes(r.body))
	}
	var out []jsonstream.Message
	for _, line := range bytes.SplitAfter(r.body, []byte("\r\n")) {
		if len(line) == 0 {
			continue
		}
		var m jsonstream.Message
		if err := json.Unmarshal(bytes.TrimSuffix(line, []byte("\r\n")), &m); err != nil {
			t.Fatalf("stream line %q is not one JSON object followed by \\r\\n: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// apiError checks an HTTP error answer and returns its message.
func (r rawResponse) apiError(t *testing.T, wantStatus int) string {
	t.Helper()
	if r.status != wantStatus {
		t.Errorf("status %d, want %d; body %s", r.status, wantStatus, r.body)
	}
	if !strings.HasPrefix(r.contentType, "application/json") {
		t.Errorf("error Content-Type %q, want application/json", r.contentType)
	}
	var body struct {
		Message *string `json:"message"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil || body.Message == nil {
		t.Fatalf("error body %q is not {\"message\":…}: %v", r.body, err)
	}
	return *body.Message
}

func lastBytes(b []byte) []byte {
	if len(b) > 200 {
		return b[len(b)-200:]
	}
	return b
}

// checkPullSequence checks the status lines of one successful pull of ref
// (familiar ref) with the given "Pulling from" line, layer IDs and final
// status, and returns the layer lines.
func checkPullSequence(t *testing.T, msgs []jsonstream.Message, tag, path, ref, dgst, final string) []jsonstream.Message {
	t.Helper()
	if len(msgs) == 0 {
		t.Fatal("empty pull stream")
	}
	if first := msgs[0]; first.Status != "Pulling from "+path || first.ID != tag {
		t.Errorf("first line %+v, want {status: Pulling from %s, id: %s}", first, path, tag)
	}
	layerID := regexp.MustCompile(`^[0-9a-f]{12}$`)
	var layers []jsonstream.Message
	lastLayer, digestAt, statusAt := -1, -1, -1
	for i, m := range msgs {
		if m.Error != nil {
			t.Errorf("line %d is an error: %s", i, m.Error.Message)
		}
		switch {
		case i == 0:
		case strings.HasPrefix(m.Status, "Digest: "):
			if digestAt >= 0 {
				t.Errorf("second Digest line at %d: %q", i, m.Status)
			}
			digestAt = i
			if m.Status != "Digest: "+dgst {
				t.Errorf("Digest line %q, want %q", m.Status, "Digest: "+dgst)
			}
		case strings.HasPrefix(m.Status, "Status: "):
			if statusAt >= 0 {
				t.Errorf("second Status line at %d: %q", i, m.Status)
			}
			statusAt = i
			if want := final + ref; m.Status != want {
				t.Errorf("final line %q, want %q", m.Status, want)
			}
		default:
			if !layerID.MatchString(m.ID) {
				t.Errorf("line %d %+v: id is not 12 hex digits", i, m)
			}
			layers = append(layers, m)
			lastLayer = i
		}
	}
	if digestAt < 0 || statusAt < 0 {
		t.Fatalf("missing Digest (%d) or Status (%d) line in %+v", digestAt, statusAt, msgs)
	}
	if digestAt < lastLayer || statusAt < digestAt || statusAt != len(msgs)-1 {
		t.Errorf("order: last layer line %d, Digest %d, Status %d of %d lines", lastLayer, digestAt, statusAt, len(msgs))
	}
	return layers
}

// TestPullJSONStream pulls a two-layer image over raw HTTP and checks the
// stream as the CLI reads it; a second pull is up to date with no layer
// lines.
func TestPullJSONStream(t *testing.T) {
	t.Parallel()
	e := newPullEnv(t)
	b := e.push("team/app", "v1", layeredImage(1, 2))
	ref := e.ref("team/app", "v1")

	msgs := e.rawPull(t, pullQuery(e.reg.Host()+"/team/app", "v1"), "").messages(t)
	layers := checkPullSequence(t, msgs, "v1", "team/app", ref, b.Digest.String(), "Status: Downloaded newer image for ")
	complete := map[string]bool{}
	want := map[string]bool{}
	for _, d := range b.LayerDigests() {
		want[d.Encoded()[:12]] = true
	}
	for _, m := range layers {
		if !want[m.ID] {
			t.Errorf("layer line for unknown layer %q: %+v", m.ID, m)
		}
		if m.Status == "Pull complete" {
			complete[m.ID] = true
		}
	}
	if len(complete) != len(want) {
		t.Errorf("Pull complete for %v, want every layer of %v", complete, want)
	}

	msgs = e.rawPull(t, pullQuery(e.reg.Host()+"/team/app", "v1"), "").messages(t)
	if layers := checkPullSequence(t, msgs, "v1", "team/app", ref, b.Digest.String(), "Status: Image is up to date for "); len(layers) != 0 {
		t.Errorf("re-pull sent layer lines: %+v", layers)
	}

	inspect, err := e.api.ImageInspect(context.Background(), ref)
	if err != nil {
		t.Fatalf("inspect after pull: %v", err)
	}
	if inspect.ID != b.Digest.String() {
		t.Errorf("image ID %s, want %s", inspect.ID, b.Digest)
	}
}

// TestPullSDKStream reads a pull with the SDK's JSONMessages and Wait: the
// same lines decode, and a failure after streaming began surfaces as an
// error from Wait.
func TestPullSDKStream(t *testing.T) {
	t.Parallel()
	e := newPullEnv(t)
	b := e.push("sdk/img", "latest", layeredImage(3))
	ctx := context.Background()

	resp, err := e.api.ImagePull(ctx, e.ref("sdk/img", "latest"), client.ImagePullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []jsonstream.Message
	for m, err := range resp.JSONMessages(ctx) {
		if err != nil {
			t.Fatalf("decode stream: %v", err)
		}
		msgs = append(msgs, m)
	}
	checkPullSequence(t, msgs, "latest", "sdk/img", e.ref("sdk/img", "latest"), b.Digest.String(), "Status: Downloaded newer image for ")

	bad := e.push("sdk/bad", "latest", layeredImage(4))
	defer e.reg.CorruptBlob("sdk/bad", bad.LayerDigests()[0])()
	resp, err = e.api.ImagePull(ctx, e.ref("sdk/bad", "latest"), client.ImagePullOptions{})
	if err != nil {
		t.Fatalf("pull of a corrupt blob failed before streaming: %v", err)
	}
	if err := resp.Wait(ctx); err == nil || !strings.Contains(err.Error(), bad.LayerDigests()[0].String()) {
		t.Errorf("Wait = %v, want an error naming the corrupt layer %s", err, bad.LayerDigests()[0])
	}
}

// TestPullErrorAfterStreamStarted corrupts a layer blob: the answer is 200
// with an errorDetail line last, and no image is left behind.
func TestPullErrorAfterStreamStarted(t *testing.T) {
	t.Parallel()
	e := newPullEnv(t)
	b := e.push("broken/app", "v1", layeredImage(5, 6))
	e.reg.CorruptBlob("broken/app", b.LayerDigests()[1])

	raw := e.rawPull(t, pullQuery(e.reg.Host()+"/broken/app", "v1"), "")
	msgs := raw.messages(t)
	if msgs[0].Status != "Pulling from broken/app" {
		t.Errorf("first line %+v, want Pulling from broken/app", msgs[0])
	}
	last := msgs[len(msgs)-1]
	if last.Error == nil || !strings.Contains(last.Error.Message, b.LayerDigests()[1].String()) {
		t.Fatalf("last line %+v, want an errorDetail naming %s", last, b.LayerDigests()[1])
	}
	for _, m := range msgs {
		if strings.HasPrefix(m.Status, "Digest:") || strings.HasPrefix(m.Status, "Status:") {
			t.Errorf("failed pull sent %q", m.Status)
		}
	}
	var legacy struct {
		Error string `json:"error"`
	}
	lines := bytes.Split(bytes.TrimSuffix(raw.body, []byte("\r\n")), []byte("\r\n"))
	if err := json.Unmarshal(lines[len(lines)-1], &legacy); err != nil || legacy.Error == "" {
		t.Errorf("error line %q has no legacy \"error\" text", lines[len(lines)-1])
	}

	_, err := e.api.ImageInspect(context.Background(), e.ref("broken/app", "v1"))
	if !cerrdefs.IsNotFound(err) {
		t.Errorf("inspect after failed pull: %v, want not found", err)
	}
}

// TestPullErrorsBeforeStream checks failures detected before anything was
// streamed: plain HTTP errors with dockerd's status and message.
func TestPullErrorsBeforeStream(t *testing.T) {
	t.Parallel()
	e := newPullEnv(t)
	e.push("there/app", "v1", layeredImage(7))
	host := e.reg.Host()

	for _, tc := range []struct {
		name   string
		query  url.Values
		status int
		want   string // exact message, or prefix when it ends with "…"
	}{
		{"unknown repo", pullQuery(host+"/nope/app", "v1"), 404,
			`failed to resolve reference "` + host + `/nope/app:v1": ` + host + `/nope/app:v1: not found`},
		{"unknown tag", pullQuery(host+"/there/app", "v2"), 404,
			`failed to resolve reference "` + host + `/there/app:v2": ` + host + `/there/app:v2: not found`},
		{"unknown repo all tags", pullQuery(host+"/nope/app", ""), 404, "error from registry: repository name not known to registry"},
		{"scratch", pullQuery("scratch", "latest"), 403, "'scratch' is a reserved name"},
		{"docker.io scratch", pullQuery("docker.io/library/scratch", "latest"), 403, "'scratch' is a reserved name"},
		// distribution/reference takes "Foo" for a registry host.
		{"uppercase", pullQuery("Foo/Bar", "latest"), 400, "invalid reference format: repository name (Bar) must be lowercase"},
		{"uppercase official", pullQuery("Ubuntu", "latest"), 400, "invalid reference format: repository name (library/Ubuntu) must be lowercase"},
		{"bad tag", pullQuery(host+"/there/app", "-v1"), 400, "invalid tag format"},
		{"bad platform", url.Values{"fromImage": {host + "/there/app"}, "tag": {"v1"}, "platform": {"foobar"}}, 400,
			`"foobar": unknown operating system or architecture: invalid argument`},
		{"two platforms", url.Values{"fromImage": {host + "/there/app"}, "tag": {"v1"}, "platform": {"linux/amd64", "linux/arm64"}}, 400,
			"multiple platforms is not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := e.rawPull(t, tc.query, "").apiError(t, tc.status)
			if msg != tc.want {
				t.Errorf("message %q, want %q", msg, tc.want)
			}
		})
	}
	_, err := e.api.ImageInspect(context.Background(), e.ref("there/app", "v2"))
	if !cerrdefs.IsNotFound(err) {
		t.Errorf("inspect of an unknown tag after the failed pull: %v", err)
	}
}

// TestPullRegistryUnreachable pulls from a closed port: 500 with the cause.
func TestPullRegistryUnreachable(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := l.Addr().String()
	l.Close()
	d := berthd.Start(t, "--insecure-registry", host)
	e := &pullEnv{t: t, d: d}

	msg := e.rawPull(t, pullQuery(host+"/gone/app", "v1"), "").apiError(t, 500)
	if !strings.Contains(msg, "connection refused") || !strings.Contains(msg, host) {
		t.Errorf("message %q, want the refused connection to %s", msg, host)
	}
}

// TestPullPlatformErrors pulls a two-platform index: a platform it lacks is
// dockerd's 404 "no matching manifest"; a registry failing to serve the
// index itself is not reported as a platform mismatch.
func TestPullPlatformErrors(t *testing.T) {
	t.Parallel()
	e := newPullEnv(t)
	amd, arm := layeredImage(50), layeredImage(51)
	arm.Platform = "linux/arm64"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	idx, err := fixtures.PushIndex(ctx, e.reg.Host(), "plat/app", "v1", fixtures.Index{
		Manifests: []fixtures.Entry{{Image: &amd}, {Image: &arm}},
	})
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{"fromImage": {e.reg.Host() + "/plat/app"}, "tag": {"v1"}, "platform": {"linux/s390x"}}
	msg := e.rawPull(t, q, "").apiError(t, http.StatusNotFound)
	if want := "no matching manifest for linux/s390x in the manifest list entries: no match for platform in manifest: not found"; msg != want {
		t.Errorf("message %q, want %q", msg, want)
	}

	q.Set("platform", "linux/arm64")
	msgs := e.rawPull(t, q, "").messages(t)
	checkPullSequence(t, msgs, "v1", "plat/app", e.ref("plat/app", "v1"), idx.Digest.String(), "Status: Downloaded newer image for ")
	if _, err := e.api.ImageRemove(ctx, e.ref("plat/app", "v1"), client.ImageRemoveOptions{}); err != nil {
		t.Fatal(err)
	}

	body := `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}`
	defer e.reg.Inject(testregistry.ManifestPath("plat/app", idx.Digest.String()), testregistry.Fault{
		Method: http.MethodGet, Status: http.StatusNotFound, Body: []byte(body),
	})()
	msg = e.rawPull(t, pullQuery(e.reg.Host()+"/plat/app", "v1"), "").apiError(t, http.StatusNotFound)
	if strings.Contains(msg, "no matching manifest") || !strings.Contains(msg, idx.Digest.String()) {
		t.Errorf("index fetch failure reported as %q, want a not-found naming %s", msg, idx.Digest)
	}
}

// TestPullAllTags pulls a repository without a tag: every tag arrives; a
// failing tag stops the pull with "error pulling <ref>".
func TestPullAllTags(t *testing.T) {
	t.Parallel()
	e := newPullEnv(t)
	tags := map[string]*fixtures.BuiltImage{
		"a": e.push("multi/app", "a", layeredImage(10)),
		"b": e.push("multi/app", "b", layeredImage(11)),
		"c": e.push("multi/app", "c", layeredImage(12)),
	}
	ctx := context.Background()

	msgs := e.rawPull(t, pullQuery(e.reg.Host()+"/multi/app", ""), "").messages(t)
	var digests []string
	for _, m := range msgs {
		if m.Error != nil {
			t.Fatalf("pull -a failed: %s", m.Error.Message)
		}
		if strings.HasPrefix(m.Status, "Digest: ") {
			digests = append(digests, strings.TrimPrefix(m.Status, "Digest: "))
		}
	}
	if len(digests) != len(tags) {
		t.Errorf("Digest lines %v, want one per tag", digests)
	}
	for tag, b := range tags {
		img, err := e.api.ImageInspect(ctx, e.ref("multi/app", tag))
		if err != nil {
			t.Errorf("tag %s not pulled: %v", tag, err)
			continue
		}
		if img.ID != b.Digest.String() {
			t.Errorf("tag %s is %s, want %s", tag, img.ID, b.Digest)
		}
	}

	// Tags are pulled in the registry's (lexical) order; "y" fails.
	e.push("multi/bad", "x", layeredImage(13))
	y := e.push("multi/bad", "y", layeredImage(14))
	e.push("multi/bad", "z", layeredImage(15))
	defer e.reg.CorruptBlob("multi/bad", y.LayerDigests()[0])()
	msgs = e.rawPull(t, pullQuery(e.reg.Host()+"/multi/bad", ""), "").messages(t)
	last := msgs[len(msgs)-1]
	if want := "error pulling " + e.ref("multi/bad", "y") + ": "; last.Error == nil || !strings.HasPrefix(last.Error.Message, want) {
		t.Errorf("last line %+v, want an error starting %q", last, want)
	}
	if _, err := e.api.ImageInspect(ctx, e.ref("multi/bad", "x")); err != nil {
		t.Errorf("tag before the failure: %v", err)
	}
	for _, tag := range []string{"y", "z"} {
		if _, err := e.api.ImageInspect(ctx, e.ref("multi/bad", tag)); !cerrdefs.IsNotFound(err) {
			t.Errorf("tag %s after the failure: %v, want not found", tag, err)
		}
	}
}

// TestEventsImagePull checks the pull event: type image, action pull,
// Actor.ID the familiar reference, attributes name and the image's labels.
func TestEventsImagePull(t *testing.T) {
	t.Parallel()
	e := newPullEnv(t)
	img := layeredImage(16)
	img.Labels = map[string]string{"org.example.team": "infra", "tier": "web"}
	e.push("ev/app", "v1", img)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	since := time.Now().Add(-time.Second)
	resp, err := e.api.ImagePull(ctx, e.ref("ev/app", "v1"), client.ImagePullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := resp.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	until := time.Now().Add(time.Second)
	res := e.api.Events(ctx, client.EventsListOptions{
		Since: since.Format(time.RFC3339Nano),
		Until: until.Format(time.RFC3339Nano),
	})
	var pulls []events.Message
	for done := false; !done; {
		select {
		case m := <-res.Messages:
			if m.Type == events.ImageEventType && m.Action == events.ActionPull {
				pulls = append(pulls, m)
			}
		case err := <-res.Err:
			if err != nil && err != io.EOF {
				t.Fatalf("events: %v", err)
			}
			done = true
		}
	}
	if len(pulls) != 1 {
		t.Fatalf("pull events %+v, want one", pulls)
	}
	ev := pulls[0]
	if ev.Actor.ID != e.ref("ev/app", "v1") {
		t.Errorf("Actor.ID %q, want %q", ev.Actor.ID, e.ref("ev/app", "v1"))
	}
	want := map[string]string{"name": e.reg.Host() + "/ev/app", "org.example.team": "infra", "tier": "web"}
	for k, v := range want {
		if ev.Actor.Attributes[k] != v {
			t.Errorf("attribute %s = %q, want %q (all: %v)", k, ev.Actor.Attributes[k], v, ev.Actor.Attributes)
		}
	}
	if ev.Scope != "local" || ev.TimeNano < since.UnixNano() || ev.TimeNano > until.UnixNano() {
		t.Errorf("event scope %q time %d, want local within [%d,%d]", ev.Scope, ev.TimeNano, since.UnixNano(), until.UnixNano())
	}
}

// TestConcurrentPulls has clients pull the same image at once (all
// succeed), and pulls of which one names a missing tag (only it fails).
func TestConcurrentPulls(t *testing.T) {
	t.Parallel()
	e := newPullEnv(t)
	b := e.push("conc/app", "v1", layeredImage(20, 21, 22))
	e.push("conc/app", "v2", layeredImage(20, 23))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	refs := []string{e.ref("conc/app", "v1"), e.ref("conc/app", "v1"), e.ref("conc/app", "v1"), e.ref("conc/app", "v2"), e.ref("conc/app", "missing")}
	errs := make([]error, len(refs))
	var wg sync.WaitGroup
	for i, ref := range refs {
		c := newAPIClient(t, e.d) // one client (connection) per puller
		wg.Go(func() {
			resp, err := c.ImagePull(ctx, ref, client.ImagePullOptions{})
			if err == nil {
				err = resp.Wait(ctx)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, ref := range refs {
		if strings.HasSuffix(ref, ":missing") {
			if !cerrdefs.IsNotFound(errs[i]) || !strings.Contains(errs[i].Error(), "not found") {
				t.Errorf("pull %s: %v, want not found", ref, errs[i])
			}
			continue
		}
		if errs[i] != nil {
			t.Errorf("pull %s: %v", ref, errs[i])
		}
	}
	img, err := e.api.ImageInspect(ctx, e.ref("conc/app", "v1"))
	if err != nil || img.ID != b.Digest.String() {
		t.Errorf("inspect v1: %v %v, want %s", img.ID, err, b.Digest)
	}
	if _, err := e.api.ImageInspect(ctx, e.ref("conc/app", "missing")); !cerrdefs.IsNotFound(err) {
		t.Errorf("inspect missing: %v, want not found", err)
	}
}
