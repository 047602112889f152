package integration

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/moby/moby/client"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/testutil/fixtures"
)

func importTar(t *testing.T, seed int64, size int) []byte {
	t.Helper()
	l, err := fixtures.Layer{Seed: seed, Size: size, Compression: fixtures.Uncompressed}.Build(fixtures.OCI)
	if err != nil {
		t.Fatal(err)
	}
	return l.Blob
}

// postImport sends POST /images/create with query and body, and returns
// the status and the decoded stream messages (or the error body).
func (e *imgEnv) postImport(query url.Values, body []byte) (int, []map[string]any, string) {
	e.t.Helper()
	status, raw := e.send("1.50", http.MethodPost, "/images/create", query, bytes.NewReader(body))
	var msgs []map[string]any
	if status == http.StatusOK {
		dec := json.NewDecoder(bytes.NewReader(raw))
		for dec.More() {
			var m map[string]any
			if err := dec.Decode(&m); err != nil {
				e.t.Fatalf("stream %q: %v", raw, err)
			}
			msgs = append(msgs, m)
		}
	}
	return status, msgs, string(raw)
}

// TestImportSDK imports through the Go SDK with a tag, a message and
// another platform: the stream ends with the ID, which names the image.
func TestImportSDK(t *testing.T) {
	t.Parallel()
	e := newImgEnv(t)
	tarball := importTar(t, 300, 16<<10)
	res, err := e.api.ImageImport(e.ctx, client.ImageImportSource{Source: bytes.NewReader(tarball), SourceName: "-"}, "imp/x", client.ImageImportOptions{
		Tag: "v2", Message: "from the SDK", Changes: []string{"USER nobody", "VOLUME /data", "STOPSIGNAL SIGINT", `ENTRYPOINT ["/bin/app"]`, "HEALTHCHECK --interval=5s CMD true", "ONBUILD RUN make"},
		Platform: ocispec.Platform{OS: "linux", Architecture: "arm64"},
	})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(res)
	res.Close()
	var last struct{ Status string }
	lines := strings.Split(strings.TrimSpace(string(out)), "\r\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || !strings.HasPrefix(last.Status, "sha256:") {
		t.Fatalf("import stream %q, want {\"status\":\"sha256:…\"} last", out)
	}
	insp, err := e.api.ImageInspect(e.ctx, "imp/x:v2")
	if err != nil {
		t.Fatal(err)
	}
	cfg := insp.Config
	switch {
	case insp.ID != last.Status:
		t.Errorf("ID %s, want the streamed %s", insp.ID, last.Status)
	case insp.Architecture != "arm64" || insp.Os != "linux":
		t.Errorf("platform %s/%s, want linux/arm64", insp.Os, insp.Architecture)
	case insp.Comment != "from the SDK":
		t.Errorf("Comment %q", insp.Comment)
	case cfg.User != "nobody" || cfg.StopSignal != "SIGINT" || len(cfg.Volumes) != 1 || strings.Join(cfg.Entrypoint, " ") != "/bin/app":
		t.Errorf("config %+v", cfg)
	case cfg.Healthcheck == nil || strings.Join(cfg.Healthcheck.Test, " ") != "CMD-SHELL true" || cfg.Healthcheck.Interval.Seconds() != 5:
		t.Errorf("healthcheck %+v", cfg.Healthcheck)
	case len(cfg.OnBuild) != 1 || cfg.OnBuild[0] != "RUN make":
		t.Errorf("onbuild %q", cfg.OnBuild)
	case len(insp.RootFS.Layers) != 1 || insp.RootFS.Layers[0] != digest.FromBytes(tarball).String():
		t.Errorf("rootfs %v", insp.RootFS.Layers)
	}
}

// TestImportAPIURL imports from a schemeless URL: "Downloading from" with
// http:// added, "Importing" progress, then the ID.
func TestImportAPIURL(t *testing.T) {
	t.Parallel()
	e := newImgEnv(t)
	tarball := importTar(t, 301, 2<<20)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(tarball) }))
	defer srv.Close()
	src := strings.TrimPrefix(srv.URL, "http://") + "/rootfs.tar"
	status, msgs, raw := e.postImport(url.Values{"fromSrc": {src}, "repo": {"imp/url:1"}}, nil)
	if status != http.StatusOK || len(msgs) < 3 {
		t.Fatalf("%d %s", status, raw)
	}
	if msgs[0]["status"] != "Downloading from http://"+src {
		t.Errorf("first message %v", msgs[0])
	}
	var progress int
	for _, m := range msgs[1 : len(msgs)-1] {
		if m["status"] == "Importing" && m["progressDetail"] != nil {
			progress++
		}
	}
	if progress == 0 {
		t.Errorf("no Importing progress in %s", raw)
	}
	id, _ := msgs[len(msgs)-1]["status"].(string)
	insp, err := e.api.ImageInspect(e.ctx, "imp/url:1")
	if err != nil || insp.ID != id || insp.Comment != "Imported from "+src {
		t.Errorf("inspect %v %v %q, want ID %s and the default message", err, insp.ID, insp.Comment, id)
	}
}

// TestImportAPIErrors: the errors found before anything streams are plain
// HTTP errors with dockerd's status and message.
func TestImportAPIErrors(t *testing.T) {
	t.Parallel()
	e := newImgEnv(t)
	tarball := importTar(t, 302, 4<<10)
	for _, tc := range []struct {
		query  url.Values
		body   []byte
		status int
		want   string
	}{
		{url.Values{"changes": {"RUN make"}}, tarball, 400, "RUN is not a valid change command"},
		{url.Values{"changes": {"EXPOSE"}}, tarball, 400, "EXPOSE requires at least one argument"},
		{url.Values{"changes": {"ENV"}}, tarball, 400, "ENV requires at least one argument"},
		{url.Values{"repo": {"Bad Name"}}, tarball, 400, "invalid reference format"},
		{url.Values{"repo": {"imp/x"}, "tag": {"bad tag"}}, tarball, 400, "invalid tag format"},
		{url.Values{"platform": {"linux/bogus/arch/x"}}, tarball, 400, ""},
		{nil, []byte("garbage, not a tar"), 400, "invalid layer archive"},
	} {
		q := url.Values{"fromSrc": {"-"}}
		for k, v := range tc.query {
			q[k] = v
		}
		status, _, body := e.postImport(q, tc.body)
		if status != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("%v: %d %s, want %d %q", tc.query, status, body, tc.status, tc.want)
		}
	}
	list, err := e.api.ImageList(e.ctx, client.ImageListOptions{All: true})
	if err != nil || len(list.Items) != 0 {
		t.Errorf("failed imports left images: %v %v", list.Items, err)
	}
}
