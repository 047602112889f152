package distribution

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	remoteerrors "github.com/containerd/containerd/v2/core/remotes/errors"
	"github.com/containerd/errdefs"
)

func TestPushGoesToTheRegistryNotItsMirrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "reg.local_5000"), 0o755); err != nil {
		t.Fatal(err)
	}
	toml := "[host.\"http://cache.local:8080\"]\n  capabilities = [\"pull\", \"resolve\", \"push\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "reg.local_5000", "hosts.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	r := New(Config{HostsDir: dir, Mirrors: []string{"https://mirror.local"}, InsecureRegistries: []string{"reg.local:5000"}})
	push := upstreamOnly(r.hosts(context.Background(), nil))
	hosts, err := push("reg.local:5000")
	if err != nil || len(hosts) != 1 || hosts[0].Host != "reg.local:5000" {
		t.Fatalf("push hosts %+v (%v), want the registry only, not its hosts.toml mirror", hosts, err)
	}
	if hosts[0].Client == nil || hosts[0].Client.Transport == nil {
		t.Error("the insecure registry's transport is lost")
	}
	hub, err := push("docker.io")
	if err != nil || len(hub) != 1 || hub[0].Host != "registry-1.docker.io" {
		t.Fatalf("Docker Hub push hosts %+v (%v), want registry-1.docker.io without registry-mirrors", hub, err)
	}
}

func TestTranslatePushError(t *testing.T) {
	body := `{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}`
	err := TranslatePushError(remoteerrors.ErrUnexpectedStatus{Status: "403 Forbidden", StatusCode: 403, Body: []byte(body)})
	if !errdefs.IsPermissionDenied(err) || err.Error() != "error from registry: requested access to the resource is denied" {
		t.Errorf("denied: %v", err)
	}
	plain := errors.New("push access denied, repository does not exist or may require authorization: authorization failed")
	if got := TranslatePushError(plain); got != plain {
		t.Errorf("containerd's own text must stay: %v", got)
	}
}
