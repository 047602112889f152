package distribution

import (
	"context"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDockerCertsDir: a registry whose CA is in dockerd's certs.d
// (<dir>/<host>/ca.crt, no hosts.toml) is trusted, as with dockerd; a
// directory for the host in berth's own certs.d takes its place.
func TestDockerCertsDir(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	// A name, not the loopback address, which containerd reaches
	// unverified: httptest's certificate is for example.com too, and the
	// client below dials the server for it.
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	host := "example.com:" + port
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})

	ping := func(r *Registries) error {
		t.Helper()
		hosts, err := r.Hosts(context.Background(), nil)(host)
		if err != nil {
			t.Fatal(err)
		}
		rt := hosts[0].Client.Transport
		if w, ok := rt.(*transport); ok {
			rt = w.next
		}
		tr, ok := rt.(*http.Transport)
		if !ok {
			t.Fatalf("transport %T", rt)
		}
		tr = tr.Clone()
		tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
		}
		resp, err := (&http.Client{Transport: tr}).Get("https://" + host + "/v2/")
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	berthDir, dockerDir := t.TempDir(), t.TempDir()
	if err := ping(New(Config{HostsDir: berthDir, DockerCertsDir: dockerDir})); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("without the CA: %v, want a certificate error", err)
	}
	// dockerd's spelling of the directory is host:port.
	if err := os.MkdirAll(filepath.Join(dockerDir, host), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dockerDir, host, "ca.crt"), caPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	r := New(Config{HostsDir: berthDir, DockerCertsDir: dockerDir})
	if err := ping(r); err != nil {
		t.Fatalf("with the CA in dockerd's certs.d: %v", err)
	}
	if r.hasHostsFile(host) {
		t.Error("dockerd's certs.d counted as a hosts.toml (it would replace registry-mirrors)")
	}
	if err := ping(New(Config{HostsDir: berthDir})); err == nil {
		t.Error("trusted without DockerCertsDir")
	}
	// berth's own directory for the host wins, even without the CA.
	if err := os.MkdirAll(filepath.Join(berthDir, host), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := ping(New(Config{HostsDir: berthDir, DockerCertsDir: dockerDir})); err == nil {
		t.Error("dockerd's certs.d used although berth's certs.d has the host")
	}
}
