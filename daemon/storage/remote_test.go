package storage

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
)

// startContainerd runs a private containerd (Debian's package) with its own
// root, state and socket under a temp dir, and stops it by PID on cleanup.
// It returns the socket path and containerd's root.
func startContainerd(t *testing.T) (string, string) {
	t.Helper()
	bin, err := exec.LookPath("containerd")
	if err != nil {
		t.Skip("containerd not installed; run `make deps` (or apt-get install containerd) to run remote-mode tests")
	}
	// Short base dir: unix socket paths are limited to 108 bytes.
	dir, err := os.MkdirTemp("", "berth-ctd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	var (
		root   = filepath.Join(dir, "root")
		state  = filepath.Join(dir, "state")
		sock   = filepath.Join(dir, "containerd.sock")
		config = filepath.Join(dir, "config.toml")
		logf   = filepath.Join(dir, "containerd.log")
	)
	// Only what a storage test needs: no CRI, no /opt plugin, no metrics/debug sockets.
	cfg := fmt.Sprintf(`version = 2
root = %q
state = %q
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.internal.v1.opt", "io.containerd.internal.v1.tracing", "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = %q
[ttrpc]
  address = %q
[debug]
  address = ""
[metrics]
  address = ""
`, root, state, sock, sock+".ttrpc")
	if err := os.WriteFile(config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(logf)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config", config, "--root", root, "--state", state, "--address", sock)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		out.Close()
		t.Fatalf("start containerd: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); out.Close() }()
	dumpLog := func() {
		if data, err := os.ReadFile(logf); err == nil {
			t.Logf("containerd log:\n%s", data)
		}
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			dumpLog()
		}
	})

	deadline := time.Now().Add(15 * time.Second)
	for {
		if conn, err := net.Dial("unix", sock); err == nil {
			conn.Close()
			return sock, root
		}
		select {
		case err := <-exited:
			dumpLog()
			t.Fatalf("containerd exited before serving: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			dumpLog()
			t.Fatalf("containerd socket %s not ready after 15s", sock)
		}
	}
}

func TestRemoteRoundTrip(t *testing.T) {
	requireRoot(t)
	sock, ctdRoot := startContainerd(t)

	s, err := Open(context.Background(), Options{Address: "unix://" + sock, Namespace: "berth-test", Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("Open remote: %v", err)
	}
	defer func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	if s.Embedded() || s.Address() != sock || s.Namespace() != "berth-test" {
		t.Fatalf("embedded=%v address=%q namespace=%q", s.Embedded(), s.Address(), s.Namespace())
	}
	if s.Snapshotter() != SnapshotterOverlay && s.Snapshotter() != SnapshotterNative {
		t.Fatalf("snapshotter %q", s.Snapshotter())
	}
	t.Logf("remote snapshotter: %s", s.Snapshotter())

	ctx := context.Background() // namespace comes from the client default
	c := s.Client()
	contentRoot := filepath.Join(ctdRoot, "io.containerd.content.v1.content")
	ti := createTestImage(t, ctx, c, "docker.io/library/remote:latest", map[string]string{"hello.txt": "remote\n"})
	assertBlobFiles(t, contentRoot, ti.blobs(), true)

	img := client.NewImage(c, ti.image)
	if err := img.Unpack(ctx, s.Snapshotter()); err != nil {
		t.Fatalf("unpack: %v", err)
	}
	if _, err := c.SnapshotService(s.Snapshotter()).Stat(ctx, ti.diffID.String()); err != nil {
		t.Fatalf("stat unpacked snapshot: %v", err)
	}

	if err := s.CollectGarbage(ctx); err != nil {
		t.Fatalf("CollectGarbage: %v", err)
	}
	assertBlobFiles(t, contentRoot, ti.blobs(), true)

	if err := c.ImageService().Delete(ctx, ti.image.Name, images.SynchronousDelete()); err != nil {
		t.Fatalf("delete image: %v", err)
	}
	assertBlobFiles(t, contentRoot, ti.blobs(), false)
	if _, err := c.SnapshotService(s.Snapshotter()).Stat(ctx, ti.diffID.String()); !errdefs.IsNotFound(err) {
		t.Errorf("snapshot after synchronous delete: err=%v, want not found", err)
	}
}

func TestRemoteUnreachableFailsFast(t *testing.T) {
	// A socket file nobody listens on: Open must give up within the dial timeout.
	dir, err := os.MkdirTemp("", "berth-dead-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "dead.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close() // the file stays, connections are refused

	start := time.Now()
	_, err = Open(context.Background(), Options{Address: sock, DialTimeout: time.Second})
	if err == nil {
		t.Fatal("Open on a dead socket succeeded")
	}
	if time.Since(start) > 3*time.Second {
		t.Errorf("Open took %s", time.Since(start))
	}
	if !strings.Contains(err.Error(), "not reachable") {
		t.Errorf("error %q should say containerd is not reachable", err)
	}
	t.Logf("dead socket: %v (after %s)", err, time.Since(start))
}
