package integrationcli

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/berth-dev/berth/testutil/berthd"
	ctdtest "github.com/berth-dev/berth/testutil/containerd"
	"github.com/berth-dev/berth/testutil/dockercli"
	"github.com/berth-dev/berth/testutil/fixtures"
	"github.com/berth-dev/berth/testutil/registry"
)

// runBerthd runs the berthd binary to completion (it is expected to fail
// at start-up) and returns its output.
func runBerthd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, berthd.Binary(t), args...).CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("berthd %v did not exit: it hangs", args)
	}
	return string(out), err
}

// TestDockerVersionAndInfo checks that the CLI prints both server sections.
func TestDockerVersionAndInfo(t *testing.T) {
	d := berthd.Start(t)
	cli := dockercli.New(t, d.Host())
	out := cli.MustRun("version").Stdout
	for _, want := range []string{"Server: berth", "API version:      1.56 (minimum version 1.40)", "Engine:", "containerd:\n  Version:          2.4.2"} {
		if !strings.Contains(out, want) {
			t.Errorf("docker version lacks %q:\n%s", want, out)
		}
	}
	res := cli.MustRun("info")
	for _, want := range []string{"Server Version: 0.1.0-dev", "Storage Driver: overlayfs", "Docker Root Dir: " + d.DataRoot()} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("docker info lacks %q:\n%s", want, res.Stdout)
		}
	}
	if strings.Contains(res.Stderr, "error") {
		t.Errorf("docker info printed errors:\n%s", res.Stderr)
	}
	if out := cli.MustRun("ps").Stdout; strings.TrimSpace(out) != "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES" {
		t.Errorf("docker ps:\n%s", out)
	}

	// The engine ID is a UUID kept in the data root, as dockerd's: the
	// same after a restart, another one for another data root.
	id := strings.TrimSpace(cli.MustRun("info", "--format", "{{.ID}}").Stdout)
	if _, err := uuid.Parse(id); err != nil {
		t.Errorf("engine ID %q is not a UUID: %v", id, err)
	}
	if kept, err := os.ReadFile(filepath.Join(d.DataRoot(), "engine-id")); err != nil || string(kept) != id {
		t.Errorf("engine-id file: %q, %v; want %q", kept, err, id)
	}
	d.Restart()
	if again := strings.TrimSpace(cli.MustRun("info", "--format", "{{.ID}}").Stdout); again != id {
		t.Errorf("engine ID after a restart: %q, want %q", again, id)
	}
	other := berthd.Start(t)
	if oid := strings.TrimSpace(dockercli.New(t, other.Host()).MustRun("info", "--format", "{{.ID}}").Stdout); oid == id {
		t.Errorf("two data roots share the engine ID %q", id)
	}
}

// TestSecondDaemonRefused starts a second berthd on a data root in use.
func TestSecondDaemonRefused(t *testing.T) {
	d := berthd.Start(t)
	other := filepath.Join(d.Dir(), "other.sock")
	start := time.Now()
	out, err := runBerthd(t, "--data-root", d.DataRoot(), "-H", "unix://"+other, "--config-file", d.ConfigFile())
	if err == nil {
		t.Fatalf("second daemon started:\n%s", out)
	}
	if want := "another berthd is already running with data root " + d.DataRoot(); !strings.Contains(out, want) {
		t.Errorf("output %q lacks %q", out, want)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("refusal took %v", time.Since(start))
	}
	if _, err := os.Stat(other); err == nil {
		t.Error("the refused daemon left a socket behind")
	}
	dockercli.New(t, d.Host()).MustRun("version")
}

// TestSocketAndGracefulStop checks the socket mode, SIGTERM's clean exit,
// and that a stale socket left by a crash is replaced.
func TestSocketAndGracefulStop(t *testing.T) {
	d := berthd.Start(t)
	fi, err := os.Stat(d.Socket())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o660 || fi.Mode()&os.ModeSocket == 0 {
		t.Errorf("socket mode %v, want a 0660 socket", fi.Mode())
	}
	d.Stop()
	if d.ExitErr() != nil {
		t.Errorf("SIGTERM exit: %v\n%s", d.ExitErr(), d.Logs())
	}
	if _, err := os.Stat(d.Socket()); !os.IsNotExist(err) {
		t.Errorf("socket still there after a graceful stop: %v", err)
	}

	d.Restart()
	d.Kill()
	if _, err := os.Stat(d.Socket()); err != nil {
		t.Fatalf("a killed daemon should leave its socket: %v", err)
	}
	d.Restart() // must replace the stale socket
	dockercli.New(t, d.Host()).MustRun("version")

	// A live socket of another daemon is not taken over.
	other := berthd.Start(t)
	out, err := runBerthd(t, "--data-root", filepath.Join(d.Dir(), "root2"), "-H", other.Host(), "--config-file", d.ConfigFile())
	if err == nil || !strings.Contains(out, "another daemon is already serving on "+other.Socket()) {
		t.Errorf("taking a live socket: %v\n%s", err, out)
	}
}

// TestGracefulStopLetsPullFinish sends SIGTERM during a pull: the pull
// completes, then the daemon exits.
func TestGracefulStopLetsPullFinish(t *testing.T) {
	reg := registry.Start(t)
	d := berthd.Start(t)
	cli := dockercli.New(t, d.Host())
	built, err := fixtures.Push(t.Context(), reg.Host(), "team/slow", "latest", smallImage(1))
	if err != nil {
		t.Fatal(err)
	}
	stall := reg.StallBlob("team/slow", built.Layers[0].Digest, 1<<10)
	p := cli.Start("pull", reg.Host()+"/team/slow:latest")
	waitChan(t, "the download", stall.Reached())
	if err := syscall.Kill(d.PID(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if !d.Running() {
		t.Fatal("the daemon exited with a request in flight")
	}
	stall.Release()
	if res := p.Wait(); res.ExitCode != 0 || !strings.Contains(res.Stdout, "Downloaded newer image") {
		t.Errorf("in-flight pull: exit %d\n%s\n%s", res.ExitCode, res.Stdout, res.Stderr)
	}
	waitChan(t, "the daemon to exit", d.Exited())
	if d.ExitErr() != nil {
		t.Errorf("exit: %v", d.ExitErr())
	}
}

// TestConfigFileErrors checks dockerd's start-up errors for daemon.json.
func TestConfigFileErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(content string) string {
		p := filepath.Join(dir, "daemon-"+strconv.Itoa(len(content))+".json")
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sock := "unix://" + filepath.Join(dir, "b.sock")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--config-file", write(`{"data-root":"/x","no-such-key":true}`)}, "the following directives don't match any configuration option: no-such-key"},
		{[]string{"--config-file", write(`{"max-concurrent-downloads":5}`), "--max-concurrent-downloads", "2"}, "the following directives are specified both as a flag and in the configuration file: max-concurrent-downloads"},
		{[]string{"--config-file", filepath.Join(dir, "missing.json")}, "missing.json: no such file or directory"},
		{[]string{"--config-file", write(`{}`), "--snapshotter", "btrfs"}, `unsupported snapshotter "btrfs"`},
		{[]string{"--config-file", write(`{"authorization-plugins":["authz-broker"]}`)}, "berthd does not support authorization plugins (authorization-plugins)"},
	}
	for _, c := range cases {
		args := append([]string{"--data-root", filepath.Join(dir, "root"), "-H", sock}, c.args...)
		out, err := runBerthd(t, args...)
		if err == nil || !strings.Contains(out, c.want) {
			t.Errorf("berthd %v: %v\n%s\nwant %q", c.args, err, out, c.want)
		}
	}
}

// TestValidateFlag: --validate checks the configuration and exits, as
// dockerd's, starting nothing (the data root is not even created).
func TestValidateFlag(t *testing.T) {
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.json"), filepath.Join(dir, "bad.json")
	if err := os.WriteFile(good, []byte(`{"max-concurrent-downloads":4,"proxies":{"no-proxy":"localhost"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(`{"max-concurrent-downloads":"four"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "root")
	out, err := runBerthd(t, "--validate", "--config-file", good, "--data-root", root)
	if err != nil || strings.TrimSpace(out) != "configuration OK" {
		t.Errorf("berthd --validate with a good file: %v %q", err, out)
	}
	if _, err := os.Stat(root); err == nil {
		t.Error("berthd --validate created the data root")
	}
	if out, err := runBerthd(t, "--validate", "--config-file", bad, "--data-root", root); err == nil || !strings.Contains(out, "max-concurrent-downloads") {
		t.Errorf("berthd --validate with a bad file: %v %q", err, out)
	}
}

// TestTCPHost listens on TCP when asked explicitly, with a loud warning.
func TestTCPHost(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	d := berthd.Start(t, "-H", "tcp://"+addr)
	dockercli.New(t, "tcp://"+addr).MustRun("version")
	if !strings.Contains(d.Logs(), "WITHOUT TLS OR AUTHENTICATION") {
		t.Errorf("no warning for a TCP listener:\n%s", d.Logs())
	}
}

// TestNativeSnapshotter pulls and removes with --snapshotter native.
func TestNativeSnapshotter(t *testing.T) {
	reg := registry.Start(t)
	d := berthd.Start(t, "--snapshotter", "native")
	cli := dockercli.New(t, d.Host())
	if _, err := fixtures.Push(t.Context(), reg.Host(), "team/native", "latest", threeLayers(1)); err != nil {
		t.Fatal(err)
	}
	ref := reg.Host() + "/team/native:latest"
	cli.MustRun("pull", ref)
	if out := cli.MustRun("info", "--format", "{{.Driver}}").Stdout; strings.TrimSpace(out) != "native" {
		t.Errorf("driver %q", out)
	}
	snaps := filepath.Join(d.DataRoot(), "containerd", "snapshots", "native", "snapshots")
	entries, _ := os.ReadDir(snaps)
	if len(entries) != 3 {
		t.Errorf("%d native snapshots, want 3", len(entries))
	}
	cli.MustRun("rmi", ref)
	entries, _ = os.ReadDir(snaps)
	if len(entries) != 0 {
		t.Errorf("%d native snapshots left after rmi", len(entries))
	}
}

// TestRemoteContainerd runs berthd on a real containerd (--containerd):
// the same pull, list and remove through the same code path.
func TestRemoteContainerd(t *testing.T) {
	sock, ctdRoot := ctdtest.Start(t)
	reg := registry.Start(t)
	d := berthd.Start(t, "--containerd", sock)
	cli := dockercli.New(t, d.Host())
	built, err := fixtures.Push(t.Context(), reg.Host(), "team/remote", "latest", threeLayers(5))
	if err != nil {
		t.Fatal(err)
	}
	ref := reg.Host() + "/team/remote:latest"
	out := cli.MustRun("pull", ref).Stdout
	if !strings.Contains(out, "Digest: "+built.Digest.String()) {
		t.Errorf("pull output:\n%s", out)
	}
	if !strings.Contains(cli.MustRun("images").Stdout, reg.Host()+"/team/remote") {
		t.Error("image not listed")
	}
	blob := filepath.Join(ctdRoot, "io.containerd.content.v1.content", "blobs", "sha256", built.Layers[0].Digest.Encoded())
	if _, err := os.Stat(blob); err != nil {
		t.Errorf("layer not in containerd's content store: %v", err)
	}
	if _, err := os.Stat(filepath.Join(d.DataRoot(), "containerd", "meta.db")); !os.IsNotExist(err) {
		t.Errorf("remote mode must not open embedded storage: %v", err)
	}
	cli.MustRun("rmi", ref)
	waitFor(t, "containerd to collect the removed image", 10*time.Second, func() bool {
		_, err := os.Stat(blob)
		return os.IsNotExist(err)
	})
}

// TestGracefulStopEndsEventStreams stops berthd while `docker events` is
// attached: the stream ends and the daemon exits without waiting out its
// shutdown bound.
func TestGracefulStopEndsEventStreams(t *testing.T) {
	d := berthd.Start(t)
	cli := dockercli.New(t, d.Host())
	p := cli.Start("events")
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	d.Stop()
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("stop took %v with an event stream attached", took)
	}
	select {
	case <-p.Done():
	case <-time.After(5 * time.Second):
		t.Error("docker events still running after the daemon stopped")
		p.Kill()
	}
}

// TestDaemonFlags checks --version, --group, --pidfile and --log-level.
func TestDaemonFlags(t *testing.T) {
	out, err := runBerthd(t, "--version")
	if err != nil || strings.TrimSpace(out) != "berthd version 0.1.0-dev" {
		t.Errorf("--version: %v %q", err, out)
	}
	dir := t.TempDir()
	empty := filepath.Join(dir, "daemon.json")
	if err := os.WriteFile(empty, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := runBerthd(t, "--log-level", "loud", "--data-root", filepath.Join(dir, "r"), "-H", "unix://"+filepath.Join(dir, "s.sock"), "--config-file", empty); err == nil || !strings.Contains(out, "unable to parse logging level: loud") {
		t.Errorf("--log-level loud: %v %q", err, out)
	}

	pidfile := filepath.Join(dir, "berthd.pid")
	d := berthd.Start(t, "--group", "4242", "--pidfile", pidfile)
	fi, err := os.Stat(d.Socket())
	if err != nil {
		t.Fatal(err)
	}
	if gid := fi.Sys().(*syscall.Stat_t).Gid; gid != 4242 {
		t.Errorf("socket group %d, want 4242", gid)
	}
	data, err := os.ReadFile(pidfile)
	if err != nil || strings.TrimSpace(string(data)) != strconv.Itoa(d.PID()) {
		t.Errorf("pidfile %q (%v), want PID %d", data, err, d.PID())
	}
	d.Stop()
	if _, err := os.Stat(pidfile); !os.IsNotExist(err) {
		t.Errorf("pidfile left after stop: %v", err)
	}
}
