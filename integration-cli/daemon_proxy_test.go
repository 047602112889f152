package integrationcli

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/berth-dev/berth/testutil/berthd"
	"github.com/berth-dev/berth/testutil/dockercli"
	"github.com/berth-dev/berth/testutil/fixtures"
	"github.com/berth-dev/berth/testutil/registry"
)

// forwardProxy is an HTTP proxy with basic authentication that sends
// every request, whatever host it names, to target; it records what it was
// asked (CONNECT tunnels included).
type forwardProxy struct {
	target, user, password string

	mu   sync.Mutex
	seen []string
}

func (p *forwardProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if u, pw, ok := proxyAuth(r); !ok || u != p.user || pw != p.password {
		w.Header().Set("Proxy-Authenticate", `Basic realm="proxy"`)
		w.WriteHeader(http.StatusProxyAuthRequired)
		return
	}
	p.mu.Lock()
	p.seen = append(p.seen, r.Method+" "+r.Host+r.URL.Path)
	p.mu.Unlock()
	if r.Method == http.MethodConnect {
		upstream, err := net.Dial("tcp", p.target)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			upstream.Close()
			return
		}
		_, _ = io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n")
		go func() { _, _ = io.Copy(upstream, conn); upstream.Close() }()
		_, _ = io.Copy(conn, upstream)
		conn.Close()
		return
	}
	(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.Out.URL.Scheme, pr.Out.URL.Host, pr.Out.Host = "http", p.target, pr.In.Host
	}}).ServeHTTP(w, r)
}

func (p *forwardProxy) requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.seen...)
}

// proxyAuth reads the Proxy-Authorization header as basic credentials.
func proxyAuth(r *http.Request) (user, password string, ok bool) {
	h := r.Header.Get("Proxy-Authorization")
	if h == "" {
		return "", "", false
	}
	fake := &http.Request{Header: http.Header{"Authorization": {h}}}
	return fake.BasicAuth()
}

// TestDaemonJSONProxies: daemon.json's "proxies" (as dockerd's) carry the
// daemon's registry traffic, with the proxy's credentials, and docker info
// shows them with the credentials masked.
func TestDaemonJSONProxies(t *testing.T) {
	reg := registry.Start(t)
	built, err := fixtures.Push(t.Context(), reg.Host(), "team/app", "1", threeLayers(80))
	if err != nil {
		t.Fatal(err)
	}
	proxy := &forwardProxy{target: reg.Host(), user: "proxyuser", password: "s3cret"}
	srv := httptest.NewServer(proxy)
	defer srv.Close()
	proxyURL := "http://proxyuser:s3cret@" + strings.TrimPrefix(srv.URL, "http://")

	// A registry name only the proxy knows how to reach.
	const remote = "registry.proxied.test:5000"
	cfg := filepath.Join(t.TempDir(), "daemon.json")
	if err := os.WriteFile(cfg, []byte(`{"proxies": {"http-proxy": "`+proxyURL+`", "https-proxy": "`+proxyURL+`", "no-proxy": "localhost,127.0.0.1"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	d := berthd.Start(t, "--config-file", cfg, "--insecure-registry", remote)
	cli := dockercli.New(t, d.Host())

	cli.MustRun("pull", remote+"/team/app:1")
	if id := strings.TrimSpace(cli.MustRun("image", "inspect", "-f", "{{.Id}}", remote+"/team/app:1").Stdout); id != built.Digest.String() {
		t.Errorf("pulled %s, want %s", id, built.Digest)
	}
	var manifests, blobs int
	for _, r := range proxy.requests() {
		switch {
		case strings.HasPrefix(r, "GET "+remote+"/v2/team/app/blobs/"):
			blobs++
		case strings.Contains(r, remote+"/v2/team/app/manifests/"):
			manifests++
		}
	}
	if manifests == 0 || blobs == 0 {
		t.Errorf("through the proxy: %d manifest and %d blob requests, want both; proxy saw %v", manifests, blobs, proxy.requests())
	}

	info := cli.MustRun("info").Stdout
	for _, want := range []string{
		"HTTP Proxy: http://xxxxx:xxxxx@" + strings.TrimPrefix(srv.URL, "http://"),
		"HTTPS Proxy: http://xxxxx:xxxxx@",
		"No Proxy: localhost,127.0.0.1",
	} {
		if !strings.Contains(info, want) {
			t.Errorf("docker info lacks %q:\n%s", want, info)
		}
	}
	if strings.Contains(info, "s3cret") {
		t.Errorf("docker info shows the proxy's password:\n%s", info)
	}
	if strings.Contains(d.Logs(), "ignoring daemon.json option") {
		t.Errorf("proxies ignored:\n%s", d.Logs())
	}
}
