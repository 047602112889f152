package integrationcli

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/berth-dev/berth/testutil/berthd"
	"github.com/berth-dev/berth/testutil/dockercli"
	"github.com/berth-dev/berth/testutil/fixtures"
	"github.com/berth-dev/berth/testutil/registry"
)

// freeTCPAddr returns a loopback address nobody listens on.
func freeTCPAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestHostWithoutScheme: -H host:port is TCP, as in dockerd.
func TestHostWithoutScheme(t *testing.T) {
	addr := freeTCPAddr(t)
	d := berthd.Start(t, "-H", addr)
	dockercli.New(t, "tcp://"+addr).MustRun("version")
	if !strings.Contains(d.Logs(), "API listen on "+addr) {
		t.Errorf("no API listen line for %s:\n%s", addr, d.Logs())
	}
}

// TestStartupLogLines checks the lines tools and people grep for.
func TestStartupLogLines(t *testing.T) {
	d := berthd.Start(t, "--debug")
	d.Stop()
	logs := d.Logs()
	lines := []string{"Starting up", "Max Concurrent Downloads: 3", "Daemon has completed initialization",
		"API listen on " + d.Socket(), "Processing signal 'terminated'", "Daemon shutdown complete"}
	last := -1
	for _, l := range lines {
		i := strings.Index(logs, l)
		if i < 0 {
			t.Errorf("log lacks %q", l)
			continue
		}
		if i < last {
			t.Errorf("%q is out of order", l)
		}
		last = i
	}
	if t.Failed() {
		t.Log(logs)
	}
}

// TestLogFormatJSON: --log-format json writes one JSON object per line.
func TestLogFormatJSON(t *testing.T) {
	d := berthd.Start(t, "--log-format", "json")
	d.Stop()
	var msgs []string
	for _, line := range strings.Split(strings.TrimSpace(d.Logs()), "\n") {
		var entry struct{ Level, Msg, Time string }
		if err := json.Unmarshal([]byte(line), &entry); err != nil || entry.Level == "" || entry.Time == "" {
			t.Errorf("not a JSON log line (%v): %s", err, line)
			continue
		}
		msgs = append(msgs, entry.Msg)
	}
	if all := strings.Join(msgs, "\n"); !strings.Contains(all, "Daemon has completed initialization") || !strings.Contains(all, "API listen on "+d.Socket()) {
		t.Errorf("messages:\n%s", all)
	}
	out, err := runBerthd(t, "--log-format", "xml")
	if err == nil || !strings.Contains(out, "invalid log format: xml") {
		t.Errorf("--log-format xml: %v\n%s", err, out)
	}
}

// TestMetricsAddr pulls once successfully and once in vain, then reads
// /metrics on --metrics-addr.
func TestMetricsAddr(t *testing.T) {
	reg := registry.Start(t)
	addr := freeTCPAddr(t)
	d := berthd.Start(t, "--metrics-addr", addr)
	cli := dockercli.New(t, d.Host())
	if _, err := fixtures.Push(t.Context(), reg.Host(), "team/metrics", "latest", threeLayers(60)); err != nil {
		t.Fatal(err)
	}
	cli.MustRun("pull", reg.Host()+"/team/metrics:latest")
	if res := cli.Run("pull", reg.Host()+"/team/absent:latest"); res.ExitCode == 0 {
		t.Fatal("pulling a missing repository succeeded")
	}
	if !strings.Contains(d.Logs(), "metrics API listening on "+addr) {
		t.Errorf("no metrics listen line:\n%s", d.Logs())
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	got := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") {
			continue
		}
		if v, err := strconv.ParseFloat(value, 64); err == nil {
			got[name] = v
		}
	}
	for name, want := range map[string]float64{
		`engine_daemon_image_actions_seconds_count{action="pull"}`:         1,
		`berth_image_actions_in_flight{action="pull"}`:                     0,
		`berth_image_action_errors_total{action="pull",class="not_found"}`: 1,
		`engine_daemon_engine_cpus_cpus`:                                   float64(runtime.NumCPU()),
	} {
		if v, ok := got[name]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", name, v, ok, want)
		}
	}
	if v := got[`berth_gc_runs_total{result="ok"}`]; v < 1 {
		t.Errorf("no garbage collection counted (the first runs at start-up): %v", v)
	}
	if v := got[`berth_registry_bytes_total{direction="received"}`]; v < (256+128+512)<<10 {
		t.Errorf("received bytes %v: less than the layers", v)
	}
	if !regexp.MustCompile(`(?m)^engine_daemon_engine_info\{.*version="`).Match(body) || !strings.Contains(string(body), "go_goroutines") {
		t.Errorf("engine info or Go metrics missing:\n%s", body)
	}
}

// startActivated runs berthd as systemd would for a socket unit with
// Type=notify: the listening socket as fd 3, LISTEN_FDS=1 and LISTEN_PID
// set to berthd's own pid (by a shell that execs it), NOTIFY_SOCKET.
func startActivated(t *testing.T, l *net.UnixListener, notifySocket string, args ...string) (*exec.Cmd, *syncLog) {
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
	logs := &syncLog{}
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

// syncLog collects a process's output for reading while it runs.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
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
