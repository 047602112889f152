package integrationcli

import (
	"strings"
	"testing"

	"github.com/berth-dev/berth/testutil/berthd"
	ctdtest "github.com/berth-dev/berth/testutil/containerd"
	"github.com/berth-dev/berth/testutil/dockercli"
	"github.com/berth-dev/berth/testutil/fixtures"
	"github.com/berth-dev/berth/testutil/registry"
)

// TestRemoteContainerdSaveLoad runs `docker save | docker load` on berthd
// over a real containerd (--containerd): same ID back, and a bad archive is
// still refused.
func TestRemoteContainerdSaveLoad(t *testing.T) {
	sock, _ := ctdtest.Start(t)
	reg := registry.Start(t)
	d := berthd.Start(t, "--containerd", sock, "--insecure-registry", reg.Host())
	cli := dockercli.New(t, d.Host())
	built, err := fixtures.Push(t.Context(), reg.Host(), "team/remote", "save", threeLayers(900))
	if err != nil {
		t.Fatal(err)
	}
	ref := reg.Host() + "/team/remote:save"
	cli.MustRun("pull", "-q", ref)
	archive := cli.MustRun("save", ref).Stdout
	cli.MustRun("rmi", ref)
	out := cli.RunWithStdin(strings.NewReader(archive), "load")
	if out.ExitCode != 0 || strings.TrimSpace(out.Stdout) != "Loaded image: "+ref {
		t.Fatalf("load: exit %d\n%s%s", out.ExitCode, out.Stdout, out.Stderr)
	}
	if id := strings.TrimSpace(cli.MustRun("image", "inspect", "-f", "{{.Id}}", ref).Stdout); id != built.Digest.String() {
		t.Errorf("ID after load %s, want %s", id, built.Digest)
	}
	bad := cli.RunWithStdin(strings.NewReader(archive[:len(archive)/2]), "load")
	if bad.ExitCode == 0 || !strings.Contains(bad.Stderr, "invalid image archive") {
		t.Errorf("truncated archive: exit %d, %q", bad.ExitCode, bad.Stderr)
	}
}
