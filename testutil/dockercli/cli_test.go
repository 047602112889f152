package dockercli

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeDaemon serves just enough of the Engine API for the CLI: /_ping,
// /version, /auth, and an /events stream that never ends.
type fakeDaemon struct {
	host        string
	eventsGone  chan struct{}
	eventsSeen  chan struct{}
	eventsCount atomic.Int32
}

func startFakeDaemon(t *testing.T) *fakeDaemon {
	t.Helper()
	dir, err := os.MkdirTemp("", "berth-fake")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "d.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeDaemon{host: "unix://" + sock, eventsGone: make(chan struct{}, 10), eventsSeen: make(chan struct{}, 10)}
	mux := http.NewServeMux()
	mux.HandleFunc("/_ping", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", "1.50")
		w.Header().Set("Ostype", "linux")
		w.Write([]byte("OK"))
	})
	mux.HandleFunc("/v1.50/version", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{
			"Version": "fake-1.0", "ApiVersion": "1.50", "MinAPIVersion": "1.24", "Os": "linux", "Arch": "amd64",
		})
	})
	mux.HandleFunc("/v1.50/auth", func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Username, Password string }
		json.NewDecoder(r.Body).Decode(&body)
		if body.Password != "from-stdin" {
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(map[string]string{"message": "bad password " + body.Password})
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"Status": "Login Succeeded"})
	})
	mux.HandleFunc("/v1.50/events", func(w http.ResponseWriter, r *http.Request) {
		f.eventsCount.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		f.eventsSeen <- struct{}{}
		<-r.Context().Done()
		f.eventsGone <- struct{}{}
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return f
}

func TestRunAndMustRun(t *testing.T) {
	d := startFakeDaemon(t)
	t.Setenv("DOCKER_CONTEXT", "should-be-ignored")
	c := New(t, d.host)
	res := c.MustRun("version", "--format", "{{.Server.Version}}")
	if strings.TrimSpace(res.Stdout) != "fake-1.0" || res.ExitCode != 0 {
		t.Fatalf("version: %+v", res)
	}
	res = c.Run("no-such-command")
	if res.ExitCode == 0 || res.Stderr == "" {
		t.Fatalf("unknown command: %+v", res)
	}
}

func TestLoginWithStdinWritesPrivateConfig(t *testing.T) {
	d := startFakeDaemon(t)
	c := New(t, d.host)
	res := c.RunWithStdin(strings.NewReader("from-stdin\n"), "login", "--username", "u", "--password-stdin", "registry.example:5000")
	if res.ExitCode != 0 {
		t.Fatalf("login: %+v", res)
	}
	b, err := os.ReadFile(filepath.Join(c.ConfigDir(), "config.json"))
	if err != nil || !strings.Contains(string(b), "registry.example:5000") {
		t.Fatalf("config.json after login: %s %v", b, err)
	}

	c2 := New(t, d.host)
	c2.SetAuth("reg.test:443", "alice", "pw")
	c2.SetAuth("other.test", "bob", "pw2")
	var cfg struct {
		Auths map[string]struct{ Auth string } `json:"auths"`
	}
	b, _ = os.ReadFile(filepath.Join(c2.ConfigDir(), "config.json"))
	if err := json.Unmarshal(b, &cfg); err != nil || cfg.Auths["reg.test:443"].Auth != "YWxpY2U6cHc=" || len(cfg.Auths) != 2 {
		t.Fatalf("SetAuth config: %s", b)
	}
}

func TestStartAndKill(t *testing.T) {
	d := startFakeDaemon(t)
	c := New(t, d.host)
	p := c.Start("events")
	select {
	case <-d.eventsSeen:
	case <-time.After(30 * time.Second):
		t.Fatalf("events request never arrived; stderr %q", p.Stderr())
	}
	res := p.Kill()
	if res.ExitCode != -1 {
		t.Fatalf("killed process exit code %d", res.ExitCode)
	}
	select {
	case <-d.eventsGone:
	case <-time.After(10 * time.Second):
		t.Fatal("daemon did not see the client disconnect")
	}
}

func TestTimeout(t *testing.T) {
	d := startFakeDaemon(t)
	c := New(t, d.host)
	c.Timeout = 500 * time.Millisecond
	start := time.Now()
	res := c.exec(nil, []string{"events"}) // exec does not fail the test
	if !res.TimedOut || res.ExitCode != -1 {
		t.Fatalf("hung command: %+v", res)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatalf("timeout took %v", time.Since(start))
	}
}

func TestWaitForOutput(t *testing.T) {
	d := startFakeDaemon(t)
	c := New(t, d.host)
	p := c.Start("version", "--format", "{{.Server.Version}}")
	if !p.WaitForOutput("fake-1.0", 30*time.Second) {
		t.Fatalf("output: %q %q", p.Stdout(), p.Stderr())
	}
	if res := p.Wait(); res.ExitCode != 0 {
		t.Fatalf("version: %+v", res)
	}
}
