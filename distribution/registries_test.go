package distribution

import (
	"context"
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/log"
	"github.com/moby/moby/api/types/registry"
	"github.com/sirupsen/logrus"
)

func TestIsInsecure(t *testing.T) {
	r := New(Config{InsecureRegistries: []string{"reg.local:5000", "10.20.0.0/16"}})
	cases := map[string]bool{
		"reg.local:5000": true,
		"reg.local:5001": false,
		"10.20.3.4:443":  true,
		"10.20.3.4":      true,
		"10.21.3.4:5000": false,
		"registry.io":    false,
		"[::1]:5000":     false,
	}
	for host, want := range cases {
		if got := r.isInsecure(host); got != want {
			t.Errorf("isInsecure(%q) = %v, want %v", host, got, want)
		}
	}
	if New(Config{}).isInsecure("10.20.3.4") {
		t.Error("nothing is insecure without configuration")
	}
}

func TestInsecureHostTriesHTTPSThenHTTP(t *testing.T) {
	r := New(Config{InsecureRegistries: []string{"10.20.0.0/16"}})
	hosts, err := r.Hosts(context.Background(), nil)("10.20.3.4:5000")
	if err != nil || len(hosts) != 1 {
		t.Fatalf("hosts %v, %v", hosts, err)
	}
	// containerd's fallback: HTTPS first (TLS unverified), then plain HTTP.
	if hosts[0].Scheme != "https" {
		t.Errorf("scheme %q, want https with HTTP fallback", hosts[0].Scheme)
	}
	secure, err := New(Config{}).Hosts(context.Background(), nil)("10.20.3.4:5000")
	if err != nil || secure[0].Scheme != "https" || secure[0].Client.Transport == hosts[0].Client.Transport {
		t.Errorf("a secure host must not share the insecure transport: %+v", secure)
	}
}

func TestCredentialsOnlyForTheirHost(t *testing.T) {
	auth := &registry.AuthConfig{Username: "u", Password: "p", ServerAddress: "https://index.docker.io/v1/"}
	creds := credentials(auth, configHost(auth, "docker.io"))
	for host, want := range map[string]string{"registry-1.docker.io": "u", "docker.io": "u", "mirror.local": "", "evil.example": ""} {
		if user, _, _ := creds(host); user != want {
			t.Errorf("credentials for %s: user %q, want %q", host, user, want)
		}
	}
	// No serveraddress: the pulled reference's registry only.
	noAddr := &registry.AuthConfig{Auth: base64.StdEncoding.EncodeToString([]byte("bob:secret"))}
	creds = credentials(noAddr, configHost(noAddr, "reg.local:5000"))
	if user, pass, _ := creds("reg.local:5000"); user != "bob" || pass != "secret" {
		t.Errorf("auth field: %q %q", user, pass)
	}
	if user, _, _ := creds("other:5000"); user != "" {
		t.Error("credentials sent to another registry")
	}
	// An identity token is a refresh token: empty username.
	tok := &registry.AuthConfig{IdentityToken: "refresh", ServerAddress: "reg.local:5000"}
	if user, secret, _ := credentials(tok, configHost(tok, "x"))("reg.local:5000"); user != "" || secret != "refresh" {
		t.Errorf("identity token: %q %q", user, secret)
	}
}

func TestHostsDirAndMirrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "reg.local_5000"), 0o755); err != nil {
		t.Fatal(err)
	}
	toml := "[host.\"http://cache.local:8080\"]\n  capabilities = [\"pull\", \"resolve\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "reg.local_5000", "hosts.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	r := New(Config{HostsDir: dir, Mirrors: []string{"https://mirror.local/base"}})
	hosts, err := r.Hosts(context.Background(), nil)("reg.local:5000")
	if err != nil {
		t.Fatal(err)
	}
	if len(hosts) != 2 || hosts[0].Host != "cache.local:8080" || hosts[1].Host != "reg.local:5000" {
		t.Fatalf("hosts.toml mirror first, then the registry: %+v", hosts)
	}
	hub, err := r.Hosts(context.Background(), nil)("docker.io")
	if err != nil {
		t.Fatal(err)
	}
	if len(hub) != 2 || hub[0].Host != "mirror.local" || hub[0].Path != "/base/v2" || hub[1].Host != "registry-1.docker.io" {
		t.Fatalf("registry-mirrors before Docker Hub: %+v", hub)
	}
	if hub[0].Capabilities&docker.HostCapabilityPush != 0 {
		t.Error("a mirror must not be pushed to")
	}
	// registry-mirrors apply to Docker Hub only.
	if other, _ := r.Hosts(context.Background(), nil)("ghcr.io"); len(other) != 1 {
		t.Errorf("mirrors leaked to ghcr.io: %+v", other)
	}
}

// captureHook records the entries logged through a logger.
type captureHook struct {
	mu      sync.Mutex
	entries []*logrus.Entry
}

func (h *captureHook) Levels() []logrus.Level { return logrus.AllLevels }

func (h *captureHook) Fire(e *logrus.Entry) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.entries = append(h.entries, e)
	return nil
}

// TestHostsLogOnTheRequestContext: the host configuration logs through the
// logger of the request's context (its fields and hooks), not a logger
// fixed when the daemon started; its informational chatter is dropped.
func TestHostsLogOnTheRequestContext(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "reg.local"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "reg.local", "hosts.toml"), []byte("[host.\"http://a\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	logger := logrus.New()
	logger.SetOutput(io.Discard)
	logger.SetLevel(logrus.DebugLevel)
	hook := &captureHook{}
	logger.AddHook(hook)
	ctx := log.WithLogger(context.Background(), logrus.NewEntry(logger).WithField("request", "r1"))

	r := New(Config{HostsDir: dir, InsecureRegistries: []string{"reg.local"}})
	if _, err := r.Hosts(ctx, nil)("reg.local"); err != nil {
		t.Fatal(err)
	}
	hook.mu.Lock()
	defer hook.mu.Unlock()
	var sawError bool
	for _, e := range hook.entries {
		if e.Level > logrus.WarnLevel {
			t.Errorf("logged below warnings: %s %q", e.Level, e.Message)
		}
		if e.Data["request"] != "r1" {
			t.Errorf("entry %q lacks the request's fields: %v", e.Message, e.Data)
		}
		sawError = sawError || strings.Contains(e.Message, "hosts.toml")
	}
	if !sawError {
		t.Errorf("the broken hosts.toml was not reported on the request's logger: %d entries", len(hook.entries))
	}
}
