// Package containerd starts a private containerd (Debian's package) for
// tests of berthd's remote mode (--containerd).
package containerd

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Start runs a private containerd (Debian's package) with its own
// root, state and socket under a temp dir, and stops it by PID on cleanup.
// It returns the socket path and containerd's root.
func Start(t testing.TB) (string, string) {
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
	// Only what berth needs: no CRI, no /opt plugin, no metrics/debug sockets.
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
