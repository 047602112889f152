// Package berthd starts the berthd binary for integration tests: each
// daemon gets a fresh data root, unix socket, pidfile and empty
// daemon.json in a short temporary directory, and is stopped and cleaned up
// when the test ends.
//
//	d := berthd.Start(t, "--insecure-registry", reg.Host())
//	cli := dockercli.New(t, d.Host())
package berthd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/berth-dev/berth/testutil/syncbuf"
)

const (
	// ReadyTimeout bounds the wait for GET /_ping to answer OK.
	ReadyTimeout = 20 * time.Second
	// StopTimeout bounds the wait for the daemon to exit after SIGTERM.
	StopTimeout = 30 * time.Second
)

// Daemon is a running (or stopped) berthd.
type Daemon struct {
	t    testing.TB
	bin  string
	dir  string
	args []string
	logs *syncbuf.Buffer

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
	err  error         // cmd.Wait result, valid after done
}

// Start starts berthd with
//
//	-H unix://<dir>/berthd.sock --data-root <dir>/root
//	--pidfile <dir>/berthd.pid --config-file <dir>/daemon.json
//
// followed by args (later flags win, so args may override --data-root,
// --pidfile or --config-file; an extra -H adds a listener). It waits until
// GET /_ping answers OK, failing the test with the daemon's log after
// ReadyTimeout. The daemon is stopped and its directory removed when the
// test ends; its log is printed if the test failed.
func Start(t testing.TB, args ...string) *Daemon {
	t.Helper()
	bin := Binary(t)
	base := os.TempDir()
	if len(base) > 40 { // keep the socket path well under 108 bytes
		base = "/tmp"
	}
	dir, err := os.MkdirTemp(base, "berth")
	if err != nil {
		t.Fatal(err)
	}
	d := &Daemon{t: t, bin: bin, dir: dir, args: args, logs: &syncbuf.Buffer{}}
	t.Cleanup(d.cleanup)
	if err := os.WriteFile(filepath.Join(dir, "daemon.json"), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d.start()
	return d
}

// Socket returns the unix socket path.
func (d *Daemon) Socket() string { return filepath.Join(d.dir, "berthd.sock") }

// Host returns the DOCKER_HOST value, "unix://<socket>".
func (d *Daemon) Host() string { return "unix://" + d.Socket() }

// DataRoot returns the daemon's --data-root.
func (d *Daemon) DataRoot() string {
	if v, ok := lastFlag(d.args, "data-root"); ok {
		return v
	}
	return filepath.Join(d.dir, "root")
}

// Dir returns the daemon's temporary directory (socket, pidfile,
// daemon.json, default data root).
func (d *Daemon) Dir() string { return d.dir }

// ConfigFile returns the path of the daemon.json passed by default; write
// it before Restart to change the configuration.
func (d *Daemon) ConfigFile() string { return filepath.Join(d.dir, "daemon.json") }

// PID returns the process id of the current (or last) daemon process.
func (d *Daemon) PID() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cmd == nil || d.cmd.Process == nil {
		return 0
	}
	return d.cmd.Process.Pid
}

// Logs returns everything the daemon wrote to stdout and stderr, across
// restarts.
func (d *Daemon) Logs() string { return d.logs.String() }

// Running reports whether the daemon process has not exited.
func (d *Daemon) Running() bool {
	d.mu.Lock()
	done := d.done
	d.mu.Unlock()
	if done == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// Exited returns a channel closed when the current daemon process exits.
func (d *Daemon) Exited() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.done
}

// ExitErr returns the exit error of the last daemon process once it has
// exited (nil for exit status 0).
func (d *Daemon) ExitErr() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.err
}

// Stop sends SIGTERM and waits for the daemon to exit. After StopTimeout
// it kills the daemon and fails the test with its log. Stopping a stopped
// daemon does nothing.
func (d *Daemon) Stop() {
	d.t.Helper()
	if err := d.stop(StopTimeout); err != nil {
		d.t.Errorf("%v\nberthd log:\n%s", err, d.Logs())
	}
}

// Kill sends SIGKILL and waits for the daemon to exit.
func (d *Daemon) Kill() {
	d.t.Helper()
	d.mu.Lock()
	cmd, done := d.cmd, d.done
	d.mu.Unlock()
	if done == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// Restart stops the daemon (SIGTERM) if it is running and starts it again
// with the same arguments and data root.
func (d *Daemon) Restart() {
	d.t.Helper()
	d.Stop()
	d.logs.WriteString("\n--- berthd restarted ---\n")
	d.start()
}

// HTTPClient returns an HTTP client that talks to the daemon's socket;
// any URL host works, e.g. "http://berthd/_ping".
func (d *Daemon) HTTPClient() *http.Client {
	sock := d.Socket()
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var dialer net.Dialer
			return dialer.DialContext(ctx, "unix", sock)
		},
	}}
}

func (d *Daemon) start() {
	d.t.Helper()
	args := append([]string{
		"-H", d.Host(),
		"--data-root", filepath.Join(d.dir, "root"),
		"--pidfile", filepath.Join(d.dir, "berthd.pid"),
		"--config-file", d.ConfigFile(),
	}, d.args...)
	cmd := exec.Command(d.bin, args...)
	cmd.Stdout, cmd.Stderr = d.logs, d.logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		d.t.Fatalf("start %s: %v", d.bin, err)
	}
	done := make(chan struct{})
	d.mu.Lock()
	d.cmd, d.done, d.err = cmd, done, nil
	d.mu.Unlock()
	go func() {
		err := cmd.Wait()
		d.mu.Lock()
		d.err = err
		d.mu.Unlock()
		close(done)
	}()
	if err := d.waitReady(done); err != nil {
		d.Kill()
		d.t.Fatalf("berthd %s: %v\nberthd log:\n%s", strings.Join(args, " "), err, d.Logs())
	}
}

// waitReady polls GET /_ping until it answers 200 "OK".
func (d *Daemon) waitReady(exited <-chan struct{}) error {
	client := d.HTTPClient()
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(ReadyTimeout)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("exited before answering /_ping: %v", d.ExitErr())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://berthd/_ping", nil)
		resp, err := client.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 64))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && string(bytes.TrimSpace(body)) == "OK" {
				cancel()
				return nil
			}
			err = fmt.Errorf("/_ping: %s %q", resp.Status, body)
		}
		cancel()
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("not ready after %v: %v", ReadyTimeout, last)
}

// stop sends SIGTERM and waits up to timeout; on timeout it kills the
// process and returns an error.
func (d *Daemon) stop(timeout time.Duration) error {
	d.mu.Lock()
	cmd, done := d.cmd, d.done
	d.mu.Unlock()
	if done == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	default:
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-done:
		return nil
	case <-t.C:
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
		return fmt.Errorf("berthd (pid %d) did not exit within %v of SIGTERM; killed", cmd.Process.Pid, timeout)
	}
}

func (d *Daemon) cleanup() {
	if err := d.stop(StopTimeout); err != nil {
		d.t.Errorf("%v", err)
	}
	if d.t.Failed() {
		d.t.Logf("berthd log (%s):\n%s", d.dir, d.Logs())
	}
	if err := unmountUnder(d.dir); err != nil {
		d.t.Logf("unmount leftovers under %s: %v", d.dir, err)
	}
	if err := os.RemoveAll(d.dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		d.t.Logf("remove %s: %v", d.dir, err)
	}
}

// lastFlag returns the value of the last --name/-name flag in args.
func lastFlag(args []string, name string) (string, bool) {
	var v string
	var found bool
	for i := 0; i < len(args); i++ {
		a := strings.TrimLeft(args[i], "-")
		if len(a) == len(args[i]) {
			continue // not a flag
		}
		if k, val, ok := strings.Cut(a, "="); ok && k == name {
			v, found = val, true
		} else if a == name && i+1 < len(args) {
			v, found = args[i+1], true
			i++
		}
	}
	return v, found
}
