package integrationcli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/testutil/berthd"
	"github.com/berth-dev/berth/testutil/dockercli"
	"github.com/berth-dev/berth/testutil/fixtures"
	"github.com/berth-dev/berth/testutil/registry"
)

// mirrorWithAlpine is a local registry holding library/alpine, standing in
// for a Docker Hub pull-through cache.
func mirrorWithAlpine(t *testing.T) (*registry.Registry, *fixtures.BuiltImage) {
	t.Helper()
	reg := registry.Start(t)
	built, err := fixtures.Push(t.Context(), reg.Host(), "library/alpine", "latest", smallImage(500))
	if err != nil {
		t.Fatal(err)
	}
	reg.ResetRequests()
	return reg, built
}

// checkPulledThroughMirror pulls "alpine" — Docker Hub, which this machine
// cannot reach — and checks the mirror served it.
func checkPulledThroughMirror(t *testing.T, cli *dockercli.CLI, reg *registry.Registry, built *fixtures.BuiltImage) {
	t.Helper()
	out := cli.MustRun("pull", "alpine").Stdout
	if !strings.Contains(out, "Digest: "+built.Digest.String()) || !strings.Contains(out, "Status: Downloaded newer image for alpine:latest") {
		t.Errorf("pull output:\n%s", out)
	}
	if got := cli.MustRun("image", "inspect", "--format", "{{.Id}} {{index .RepoTags 0}}", "alpine").Stdout; strings.TrimSpace(got) != built.Digest.String()+" alpine:latest" {
		t.Errorf("inspect: %q", got)
	}
	if n := len(reg.FetchedBlobs("library/alpine")); n == 0 {
		t.Error("the mirror served no blob")
	}
	for _, r := range reg.Requests() {
		if strings.Contains(r.Path, "/manifests/") && !strings.Contains(r.Query, "ns=docker.io") {
			t.Errorf("mirror request %s without ?ns=docker.io", r.Path)
		}
	}
}

// TestRegistryMirrorFlag uses --registry-mirror for Docker Hub pulls.
func TestRegistryMirrorFlag(t *testing.T) {
	reg, built := mirrorWithAlpine(t)
	d := berthd.Start(t, "--registry-mirror", "http://"+reg.Host())
	checkPulledThroughMirror(t, dockercli.New(t, d.Host()), reg, built)
	if out := dockercli.New(t, d.Host()).MustRun("info", "--format", "{{.RegistryConfig.Mirrors}}").Stdout; !strings.Contains(out, reg.Host()) {
		t.Errorf("docker info mirrors: %q", out)
	}
}

// TestHostsTomlMirror configures the mirror in certs.d/docker.io/hosts.toml
// beside daemon.json, the way caches and P2P mirrors plug in.
func TestHostsTomlMirror(t *testing.T) {
	reg, built := mirrorWithAlpine(t)
	dir := t.TempDir()
	hostsDir := filepath.Join(dir, "certs.d", "docker.io")
	if err := os.MkdirAll(hostsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	toml := fmt.Sprintf("server = \"https://registry-1.docker.io\"\n\n[host.\"http://%s\"]\n  capabilities = [\"pull\", \"resolve\"]\n", reg.Host())
	if err := os.WriteFile(filepath.Join(hostsDir, "hosts.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "daemon.json")
	if err := os.WriteFile(cfg, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	d := berthd.Start(t, "--config-file", cfg)
	checkPulledThroughMirror(t, dockercli.New(t, d.Host()), reg, built)
}
