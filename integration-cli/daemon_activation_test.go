package integrationcli

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-dev/berth/testutil/berthd"
	"github.com/berth-dev/berth/testutil/dockercli"
	"github.com/berth-dev/berth/testutil/syncbuf"
)

// startActivated runs berthd as systemd would for a socket unit with
// Type=notify: the listening socket as fd 3, LISTEN_FDS=1 and LISTEN_PID
// set to berthd's own pid (by a shell that execs it), NOTIFY_SOCKET.
func startActivated(t *testing.T, l *net.UnixListener, notifySocket string, args ...string) (*exec.Cmd, *syncbuf.Buffer) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "daemon.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := l.File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all := append([]string{"-c", `LISTEN_PID=$$ exec "$0" "$@"`, berthd.Binary(t),
		"--data-root", filepath.Join(dir, "root"), "--pidfile", filepath.Join(dir, "pid"),
		"--config-file", filepath.Join(dir, "daemon.json")}, args...)
	cmd := exec.Command("sh", all...)
	cmd.Env = append(os.Environ(), "LISTEN_FDS=1", "LISTEN_FDNAMES=berthd.socket", "NOTIFY_SOCKET="+notifySocket)
	cmd.ExtraFiles = []*os.File{f}
	logs := &syncbuf.Buffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd, logs
}

// TestSocketActivationAndNotify runs berthd with -H fd:// on a socket it
// inherits, as from berthd.socket, and reads its sd_notify messages: READY
// once it serves, RELOADING then READY around a SIGHUP, STOPPING on
// SIGTERM. The socket belongs to the service manager and is left in place.
func TestSocketActivationAndNotify(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "activated.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	notifyPath := filepath.Join(dir, "notify.sock")
	nc, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: notifyPath, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	msgs := make(chan string, 16)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, _, err := nc.ReadFromUnix(buf)
			if err != nil {
				return
			}
			msgs <- string(buf[:n])
		}
	}()
	next := func(want string) string {
		t.Helper()
		select {
		case m := <-msgs:
			if !strings.HasPrefix(m, want) {
				t.Errorf("sd_notify %q, want %q", m, want)
			}
			return m
		case <-time.After(20 * time.Second):
			t.Fatalf("no sd_notify %q", want)
			return ""
		}
	}

	cmd, logs := startActivated(t, l, notifyPath, "-H", "fd://")
	next("READY=1")
	cli := dockercli.New(t, "unix://"+sock)
	cli.MustRun("version")
	if !strings.Contains(logs.String(), "API listen on "+sock) {
		t.Errorf("no API listen line for the activated socket:\n%s", logs)
	}

	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if m := next("RELOADING=1"); !regexp.MustCompile(`\nMONOTONIC_USEC=\d+$`).MatchString(m) {
		t.Errorf("RELOADING without MONOTONIC_USEC: %q", m)
	}
	next("READY=1")
	cli.MustRun("version")

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	next("STOPPING=1")
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit: %v\n%s", err, logs)
	}
	if _, err := os.Stat(sock); err != nil {
		t.Errorf("berthd removed the activated socket: %v", err)
	}
}

// TestSocketActivationErrors: fd:// without sockets fails as dockerd does.
func TestSocketActivationErrors(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "daemon.json")
	if err := os.WriteFile(cfg, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runBerthd(t, "-H", "fd://", "--data-root", filepath.Join(dir, "root"), "--config-file", cfg)
	if err == nil || !strings.Contains(out, "no sockets found via socket activation: make sure the service was started by systemd") {
		t.Errorf("fd:// without activation: %v\n%s", err, out)
	}
}

// TestSystemdSocketActivate starts berthd the way systemd does, with
// systemd's own test tool: systemd-socket-activate listens, and the first
// client connection starts `berthd -H fd://`, which answers it.
func TestSystemdSocketActivate(t *testing.T) {
	tool, err := exec.LookPath("systemd-socket-activate")
	if err != nil {
		t.Skip("systemd-socket-activate not installed (Debian package systemd)")
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "berth.sock")
	if err := os.WriteFile(filepath.Join(dir, "daemon.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tool, "-l", sock, berthd.Binary(t), "-H", "fd://",
		"--data-root", filepath.Join(dir, "root"), "--config-file", filepath.Join(dir, "daemon.json"))
	logs := &syncbuf.Buffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("systemd-socket-activate did not listen:\n%s", logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if strings.Contains(logs.String(), "Starting up") {
		t.Fatal("berthd started before the first connection")
	}
	res := dockercli.New(t, "unix://"+sock).Run("version", "--format", "{{.Server.Platform.Name}}")
	if res.ExitCode != 0 || strings.TrimSpace(res.Stdout) != "berth" {
		t.Fatalf("first connection: exit %d %q %q\n%s", res.ExitCode, res.Stdout, res.Stderr, logs)
	}
	if !strings.Contains(logs.String(), "API listen on "+sock) {
		t.Errorf("berthd did not serve the activated socket:\n%s", logs)
	}
}
