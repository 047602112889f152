package berthd

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// stubSource is a stand-in for berthd: it accepts the flags Start passes,
// writes the pidfile, serves /_ping and /args on the unix socket and exits
// on SIGTERM (unless STUB_IGNORE_TERM is set). STUB_FAIL makes it exit at
// once.
const stubSource = `package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	if os.Getenv("STUB_FAIL") != "" {
		fmt.Fprintln(os.Stderr, "stub: failing on purpose")
		os.Exit(3)
	}
	flags := map[string]string{}
	args := os.Args[1:]
	for i := 0; i+1 < len(args); i += 2 {
		flags[strings.TrimLeft(args[i], "-")] = args[i+1]
	}
	sock := strings.TrimPrefix(flags["H"], "unix://")
	os.MkdirAll(flags["data-root"], 0o755)
	os.WriteFile(flags["pidfile"], []byte(fmt.Sprint(os.Getpid())), 0o644)
	ln, err := net.Listen("unix", sock)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	http.HandleFunc("/_ping", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("OK")) })
	http.HandleFunc("/args", func(w http.ResponseWriter, r *http.Request) { json.NewEncoder(w).Encode(os.Args[1:]) })
	go http.Serve(ln, nil)
	fmt.Fprintln(os.Stderr, "stub berthd ready")
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM)
	for range sigs {
		if os.Getenv("STUB_IGNORE_TERM") == "" {
			break
		}
	}
	ln.Close()
	os.Remove(flags["pidfile"])
	fmt.Fprintln(os.Stderr, "stub berthd stopped")
}
`

var stubOnce struct {
	sync.Once
	path string
	err  error
}

// stub builds the stub daemon once and points BinaryEnv at it.
func stub(t *testing.T) {
	t.Helper()
	stubOnce.Do(func() {
		dir, err := os.MkdirTemp("", "berthd-stub")
		if err != nil {
			stubOnce.err = err
			return
		}
		src := filepath.Join(dir, "main.go")
		if stubOnce.err = os.WriteFile(src, []byte(stubSource), 0o644); stubOnce.err != nil {
			return
		}
		stubOnce.path = filepath.Join(dir, "berthd-stub")
		out, err := exec.Command("go", "build", "-o", stubOnce.path, src).CombinedOutput()
		if err != nil {
			stubOnce.err = fmt.Errorf("%v\n%s", err, out)
		}
	})
	if stubOnce.err != nil {
		t.Fatalf("build stub: %v", stubOnce.err)
	}
	t.Setenv(BinaryEnv, stubOnce.path)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if stubOnce.path != "" {
		os.RemoveAll(filepath.Dir(stubOnce.path))
	}
	os.Exit(code)
}

func TestStartStopRestart(t *testing.T) {
	stub(t)
	d := Start(t, "--log-level", "debug")
	if !strings.HasPrefix(d.Host(), "unix:///") || len(d.Socket()) > 100 {
		t.Fatalf("Host() = %q", d.Host())
	}
	if _, err := os.Stat(d.Socket()); err != nil {
		t.Fatalf("socket: %v", err)
	}
	if fi, err := os.Stat(d.DataRoot()); err != nil || !fi.IsDir() {
		t.Fatalf("data root: %v", err)
	}
	pid, _ := os.ReadFile(filepath.Join(d.Dir(), "berthd.pid"))
	if string(pid) != strconv.Itoa(d.PID()) {
		t.Fatalf("pidfile %q, PID() %d", pid, d.PID())
	}
	resp, err := d.HTTPClient().Get("http://berthd/args")
	if err != nil {
		t.Fatal(err)
	}
	var args []string
	_ = json.NewDecoder(resp.Body).Decode(&args)
	resp.Body.Close()
	got := strings.Join(args, " ")
	for _, want := range []string{"-H " + d.Host(), "--data-root " + d.DataRoot(), "--config-file " + d.ConfigFile(), "--log-level debug"} {
		if !strings.Contains(got, want) {
			t.Errorf("args %q lack %q", got, want)
		}
	}
	if !strings.Contains(d.Logs(), "stub berthd ready") {
		t.Errorf("logs: %q", d.Logs())
	}

	first := d.PID()
	d.Restart()
	if d.PID() == first || !d.Running() {
		t.Fatalf("restart: pid %d -> %d, running %v", first, d.PID(), d.Running())
	}
	d.Stop()
	if d.Running() || d.ExitErr() != nil {
		t.Fatalf("after Stop: running %v, exit %v", d.Running(), d.ExitErr())
	}
	if !strings.Contains(d.Logs(), "stub berthd stopped") || !strings.Contains(d.Logs(), "restarted") {
		t.Errorf("logs: %q", d.Logs())
	}
	d.Stop() // idempotent
}

func TestKill(t *testing.T) {
	stub(t)
	d := Start(t)
	d.Kill()
	select {
	case <-d.Exited():
	default:
		t.Fatal("Exited not closed after Kill")
	}
	if d.ExitErr() == nil {
		t.Fatal("killed daemon reports a clean exit")
	}
}

func TestStopTimeout(t *testing.T) {
	stub(t)
	t.Setenv("STUB_IGNORE_TERM", "1")
	d := Start(t)
	start := time.Now()
	if err := d.stop(300 * time.Millisecond); err == nil {
		t.Fatal("stop of a daemon ignoring SIGTERM did not report a timeout")
	}
	if d.Running() || time.Since(start) > 10*time.Second {
		t.Fatal("daemon not killed after the stop timeout")
	}
}

// fakeTB records Fatalf instead of failing the real test.
type fakeTB struct {
	testing.TB
	mu       sync.Mutex
	fatal    string
	cleanups []func()
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.mu.Lock()
	f.fatal = fmt.Sprintf(format, args...)
	f.mu.Unlock()
	runtime.Goexit()
}
func (f *fakeTB) Fatal(args ...any)                 { f.Fatalf("%s", fmt.Sprint(args...)) }
func (f *fakeTB) Cleanup(fn func())                 { f.cleanups = append(f.cleanups, fn) }
func (f *fakeTB) Failed() bool                      { return f.fatal != "" }
func (f *fakeTB) Logf(format string, args ...any)   {}
func (f *fakeTB) Errorf(format string, args ...any) {}

func TestStartFailureShowsLog(t *testing.T) {
	stub(t)
	t.Setenv("STUB_FAIL", "1")
	f := &fakeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Start(f)
	}()
	<-done
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
	if !strings.Contains(f.fatal, "exited before answering /_ping") || !strings.Contains(f.fatal, "failing on purpose") {
		t.Fatalf("Fatalf message: %q", f.fatal)
	}
}

func TestLastFlag(t *testing.T) {
	args := []string{"--data-root", "/a", "-H", "unix:///x", "--data-root=/b", "--debug"}
	if v, ok := lastFlag(args, "data-root"); !ok || v != "/b" {
		t.Fatalf("lastFlag = %q %v", v, ok)
	}
	if _, ok := lastFlag(args, "pidfile"); ok {
		t.Fatal("found absent flag")
	}
}
