package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/api/server/router"
)

type testRouter struct{ routes []router.Route }

func (t testRouter) Routes() []router.Route { return t.routes }

// startServer serves the given routes on a unix socket and returns an HTTP
// client for it.
func startServer(t *testing.T, routes ...router.Route) *http.Client {
	t.Helper()
	return unixClient(serveOn(t, Config{Version: "test"}, routes...))
}

// unixClient is an HTTP client of the socket sock.
func unixClient(sock string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		},
	}}
}

// serveOn serves routes with cfg on a new unix socket, stopped at the end
// of the test, and returns the socket's path.
func serveOn(t *testing.T, cfg Config, routes ...router.Route) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "berth-api")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "api.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	s := New(cfg, testRouter{routes})
	go s.Serve(l)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
	return sock
}

func get(t *testing.T, c *http.Client, method, path string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, "http://berth"+path, nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func errorMessage(t *testing.T, body string) string {
	t.Helper()
	var e struct {
		Message string `json:"message"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("error body is not JSON: %q", body)
	}
	return e.Message
}

func TestVersionNegotiation(t *testing.T) {
	var seen string
	c := startServer(t, router.NewRoute("GET", "/thing", func(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
		seen = APIVersion(ctx)
		w.WriteHeader(http.StatusNoContent)
		return nil
	}))

	resp, _ := get(t, c, "GET", "/v1.44/thing")
	if resp.StatusCode != http.StatusNoContent || seen != "1.44" {
		t.Fatalf("prefixed path: status %d, version %q", resp.StatusCode, seen)
	}
	if got := resp.Header.Get("Api-Version"); got != MaxAPIVersion {
		t.Errorf("Api-Version header %q, want %q", got, MaxAPIVersion)
	}
	if got := resp.Header.Get("Server"); !strings.HasPrefix(got, "Docker/test (") {
		t.Errorf("Server header %q", got)
	}
	if got := resp.Header.Get("Ostype"); got != "linux" {
		t.Errorf("Ostype header %q", got)
	}

	resp, _ = get(t, c, "GET", "/thing")
	if resp.StatusCode != http.StatusNoContent || seen != MaxAPIVersion {
		t.Fatalf("unprefixed path: status %d, version %q", resp.StatusCode, seen)
	}

	resp, body := get(t, c, "GET", "/v1.24/thing")
	want := "client version 1.24 is too old. Minimum supported API version is 1.40, please upgrade your client to a newer version"
	if resp.StatusCode != http.StatusBadRequest || errorMessage(t, body) != want {
		t.Fatalf("too old: %d %s", resp.StatusCode, body)
	}
	resp, body = get(t, c, "GET", "/v9.99/thing")
	want = "client version 9.99 is too new. Maximum supported API version is " + MaxAPIVersion
	if resp.StatusCode != http.StatusBadRequest || errorMessage(t, body) != want {
		t.Fatalf("too new: %d %s", resp.StatusCode, body)
	}
}

func TestUnknownRoute(t *testing.T) {
	c := startServer(t)
	for _, path := range []string{"/nope", "/v1.44/images/x/unknown"} {
		resp, body := get(t, c, "GET", path)
		if resp.StatusCode != http.StatusNotFound || errorMessage(t, body) != "page not found" {
			t.Errorf("%s: %d %s", path, resp.StatusCode, body)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: content type %q", path, ct)
		}
	}
}

func TestPanicIs500AndServerServesOn(t *testing.T) {
	c := startServer(t,
		router.NewRoute("GET", "/boom", func(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
			var m map[string]int
			m["x"] = 1 // nil map write: a real runtime panic
			return nil
		}),
		router.NewRoute("GET", "/ok", func(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
			_, err := w.Write([]byte("fine"))
			return err
		}),
	)
	debug.SetTraceback("none")
	resp, body := get(t, c, "GET", "/boom")
	if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(errorMessage(t, body), "internal server error") {
		t.Fatalf("panic: %d %s", resp.StatusCode, body)
	}
	resp, body = get(t, c, "GET", "/ok")
	if resp.StatusCode != http.StatusOK || body != "fine" {
		t.Fatalf("after panic: %d %s", resp.StatusCode, body)
	}
}

func TestGreedyNameRoutes(t *testing.T) {
	var got map[string]string
	h := func(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
		got = vars
		w.WriteHeader(http.StatusOK)
		return nil
	}
	c := startServer(t,
		router.NewRoute("GET", "/images/json", h),
		router.NewRoute("GET", "/images/{name:.*}/json", h),
		router.NewRoute("DELETE", "/images/{name:.*}", h),
	)
	cases := map[string]string{
		"/v1.44/images/docker.io/library/alpine:latest/json": "docker.io/library/alpine:latest",
		"/images/127.0.0.1:5000/a/b@sha256:abc/json":         "127.0.0.1:5000/a/b@sha256:abc",
		"/images/json/json": "json",
	}
	for path, want := range cases {
		if resp, _ := get(t, c, "GET", path); resp.StatusCode != http.StatusOK || got["name"] != want {
			t.Errorf("%s: status %d, name %q, want %q", path, resp.StatusCode, got["name"], want)
		}
	}
	got = nil
	if resp, _ := get(t, c, "GET", "/images/json"); resp.StatusCode != http.StatusOK || got["name"] != "" {
		t.Errorf("/images/json routed with name %q", got["name"])
	}
	if resp, _ := get(t, c, "DELETE", "/images/a/b:c"); resp.StatusCode != http.StatusOK || got["name"] != "a/b:c" {
		t.Errorf("delete: name %q", got["name"])
	}
	if resp, _ := get(t, c, "POST", "/images/json"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("POST /images/json: %d, want 404", resp.StatusCode)
	}
}

// TestMaxAPIVersionMatchesModule keeps MaxAPIVersion equal to the pinned
// github.com/moby/moby/api module's version (v1.NN.x speaks API 1.NN).
func TestMaxAPIVersionMatchesModule(t *testing.T) {
	data, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "github.com/moby/moby/api" {
			v := strings.TrimPrefix(f[1], "v")
			parts := strings.SplitN(v, ".", 3)
			if got := parts[0] + "." + parts[1]; got != MaxAPIVersion {
				t.Fatalf("go.mod pins moby/moby/api %s but MaxAPIVersion is %s", f[1], MaxAPIVersion)
			}
			return
		}
	}
	t.Fatal("github.com/moby/moby/api not found in go.mod")
}

// A lower minimum (DOCKER_MIN_API_VERSION) serves older clients, and the
// refusal names it.
func TestConfiguredMinAPIVersion(t *testing.T) {
	c := unixClient(serveOn(t, Config{Version: "test", MinAPIVersion: "1.24"}, router.NewRoute("GET", "/thing", func(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
		w.WriteHeader(http.StatusNoContent)
		return nil
	})))
	if resp, body := get(t, c, "GET", "/v1.24/thing"); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("API 1.24 with minimum 1.24: %d %s", resp.StatusCode, body)
	}
	resp, body := get(t, c, "GET", "/v1.23/thing")
	want := "client version 1.23 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version"
	if resp.StatusCode != http.StatusBadRequest || errorMessage(t, body) != want {
		t.Fatalf("too old: %d %s", resp.StatusCode, body)
	}
}

func TestValidateMinAPIVersion(t *testing.T) {
	for v, want := range map[string]string{
		"1.24":  "",
		"1.30":  "",
		"1.40":  "",
		"1.56":  "",
		"":      "value is empty",
		"v1.30": `API version must be provided without "v" prefix`,
		"1.12":  "minimum supported API version is 1.24: 1.12",
		"1.57":  "maximum supported API version is 1.56: 1.57",
		"one":   "invalid API version: one",
		"1.":    "invalid API version: 1.",
	} {
		err := ValidateMinAPIVersion(v)
		if got := fmt.Sprint(err); want == "" && err != nil || want != "" && got != want {
			t.Errorf("ValidateMinAPIVersion(%q) = %v, want %q", v, err, want)
		}
	}
}
