package integrationcli

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-dev/berth/testutil/berthd"
	"github.com/berth-dev/berth/testutil/dockercli"
	"github.com/berth-dev/berth/testutil/fixtures"
	"github.com/berth-dev/berth/testutil/registry"
)

// writeDaemonJSON replaces the daemon's daemon.json.
func writeDaemonJSON(t *testing.T, d *berthd.Daemon, content string) {
	t.Helper()
	if err := os.WriteFile(d.ConfigFile(), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// sighup sends SIGHUP and waits until the daemon logged the outcome.
func sighup(t *testing.T, d *berthd.Daemon, wantLog string) {
	t.Helper()
	before := strings.Count(d.Logs(), wantLog)
	if err := syscall.Kill(d.PID(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(d.Logs(), wantLog) == before {
		if time.Now().After(deadline) || !d.Running() {
			t.Fatalf("no %q after SIGHUP (running %v):\n%s", wantLog, d.Running(), d.Logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDaemonReloadOnSIGHUP changes daemon.json and sends SIGHUP, as
// `systemctl reload` does: the daemon keeps serving on its socket, docker
// info shows the new settings and docker events sees "daemon reload".
func TestDaemonReloadOnSIGHUP(t *testing.T) {
	d := berthd.Start(t)
	cli := dockercli.New(t, d.Host())
	if out := cli.MustRun("info", "--format", "{{.Debug}} {{json .Labels}}").Stdout; strings.TrimSpace(out) != "false []" {
		t.Fatalf("before the reload: %q", out)
	}
	events := cli.Start("events", "--format", "{{.Type}} {{.Action}} {{json .Actor.Attributes}}")
	time.Sleep(300 * time.Millisecond) // let the subscription start

	writeDaemonJSON(t, d, `{"debug":true,"registry-mirrors":["https://mirror.example/"],
		"insecure-registries":["reg.example:5000"],"labels":["env=ci"],"max-concurrent-downloads":7,"max-download-attempts":3}`)
	sighup(t, d, "Reloaded configuration")

	if !events.WaitForOutput("daemon reload", 10*time.Second) {
		t.Fatalf("docker events did not see the reload:\n%s", events.Stdout())
	}
	line := events.Stdout()[strings.Index(events.Stdout(), "daemon reload"):]
	var attrs map[string]string
	if err := json.Unmarshal([]byte(strings.TrimSpace(strings.TrimPrefix(line, "daemon reload"))), &attrs); err != nil {
		t.Fatalf("event attributes %q: %v", line, err)
	}
	want := map[string]string{
		"debug": "true", "max-concurrent-downloads": "7", "max-download-attempts": "3", "labels": `["env=ci"]`,
		"registry-mirrors": `["https://mirror.example/"]`, "insecure-registries": `["reg.example:5000"]`,
	}
	for k, v := range want {
		if attrs[k] != v {
			t.Errorf("attribute %s = %q, want %q (all: %v)", k, attrs[k], v, attrs)
		}
	}
	if host, _ := os.Hostname(); attrs["name"] != host {
		t.Errorf("attribute name = %q, want the host name %q", attrs["name"], host)
	}

	info := cli.MustRun("info").Stdout
	for _, w := range []string{"Debug Mode: true", "Registry Mirrors:\n  https://mirror.example/", "Insecure Registries:\n  reg.example:5000", "Labels:\n  env=ci"} {
		if !strings.Contains(info, w) {
			t.Errorf("docker info after the reload lacks %q:\n%s", w, info)
		}
	}
	if !d.Running() {
		t.Fatal("SIGHUP stopped the daemon")
	}
	if _, err := os.Stat(d.Socket()); err != nil {
		t.Fatalf("socket gone after SIGHUP: %v", err)
	}
	cli.MustRun("version")

	// Keys a reload cannot apply are reported, not silently dropped.
	writeDaemonJSON(t, d, `{"containerd-namespace":"elsewhere"}`)
	sighup(t, d, "Reloaded configuration")
	if !strings.Contains(d.Logs(), "take effect at the next start") {
		t.Errorf("no warning for a non-reloadable change:\n%s", d.Logs())
	}
	// Back to defaults: options missing from the file are reset.
	if out := cli.MustRun("info", "--format", "{{.Debug}} {{json .Labels}} {{json .RegistryConfig.Mirrors}}").Stdout; strings.TrimSpace(out) != "false [] []" {
		t.Errorf("after removing the options: %q", out)
	}
}

// TestDaemonReloadInvalidConfig: a broken daemon.json on SIGHUP is logged
// as dockerd logs it and changes nothing; the daemon keeps running.
func TestDaemonReloadInvalidConfig(t *testing.T) {
	d := berthd.Start(t, "--max-concurrent-downloads", "2")
	cli := dockercli.New(t, d.Host())
	writeDaemonJSON(t, d, `{"debug":true,"no-such-key":1}`)
	sighup(t, d, "Error reloading configuration")
	if !strings.Contains(d.Logs(), "the following directives don't match any configuration option: no-such-key") {
		t.Errorf("log lacks the reason:\n%s", d.Logs())
	}
	// A key also given as a flag conflicts, as at start-up.
	writeDaemonJSON(t, d, `{"max-concurrent-downloads":4}`)
	sighup(t, d, "Error reloading configuration")
	if !strings.Contains(d.Logs(), "specified both as a flag and in the configuration file: max-concurrent-downloads") {
		t.Errorf("log lacks the conflict:\n%s", d.Logs())
	}
	if out := cli.MustRun("info", "--format", "{{.Debug}}").Stdout; strings.TrimSpace(out) != "false" {
		t.Errorf("a refused reload changed the configuration: debug %q", out)
	}
}

// TestDaemonReloadDuringPull reloads (new download cap, new registry
// settings) while a pull is stalled mid-layer: the pull finishes and the
// next one uses the new settings.
func TestDaemonReloadDuringPull(t *testing.T) {
	reg := registry.Start(t)
	d := berthd.Start(t)
	cli := dockercli.New(t, d.Host())
	built, err := fixtures.Push(t.Context(), reg.Host(), "team/reload", "latest", threeLayers(40))
	if err != nil {
		t.Fatal(err)
	}
	stall := reg.StallBlob("team/reload", built.Layers[0].Digest, 1<<10)
	p := cli.Start("pull", reg.Host()+"/team/reload:latest")
	waitChan(t, "the download", stall.Reached())

	writeDaemonJSON(t, d, `{"max-concurrent-downloads":1,"insecure-registries":["`+reg.Host()+`"]}`)
	sighup(t, d, "Reloaded configuration")
	stall.Release()
	if res := p.Wait(); res.ExitCode != 0 || !strings.Contains(res.Stdout, "Downloaded newer image") {
		t.Fatalf("pull across the reload: exit %d\n%s\n%s", res.ExitCode, res.Stdout, res.Stderr)
	}
	if _, err := fixtures.Push(t.Context(), reg.Host(), "team/reload", "v2", threeLayers(50)); err != nil {
		t.Fatal(err)
	}
	cli.MustRun("pull", reg.Host()+"/team/reload:v2") // one download at a time now
}

// TestDaemonJSONWithDockerdKeys starts with a daemon.json written for
// dockerd: keys berthd does not implement are logged as ignored.
func TestDaemonJSONWithDockerdKeys(t *testing.T) {
	d := berthd.Start(t)
	writeDaemonJSON(t, d, `{"labels":["team=infra"],"features":{"buildkit":true},"log-driver":"json-file",
		"log-opts":{"max-size":"10m"},"storage-driver":"overlay2","exec-opts":["native.cgroupdriver=systemd"],
		"live-restore":true,"max-concurrent-uploads":3,"proxies":{"no-proxy":"localhost"}}`)
	d.Restart()
	for _, k := range []string{"features", "log-driver", "log-opts", "storage-driver", "exec-opts", "live-restore"} {
		if !strings.Contains(d.Logs(), `ignoring daemon.json option \"`+k+`\": berthd does not support it`) {
			t.Errorf("no warning for %q:\n%s", k, d.Logs())
		}
	}
	if out := dockercli.New(t, d.Host()).MustRun("info", "--format", "{{json .Labels}} {{.NoProxy}}").Stdout; strings.TrimSpace(out) != `["team=infra"] localhost` {
		t.Errorf("labels and no-proxy %q", out)
	}
}

// TestDebugPprof: /debug/pprof/ is served on the API socket while debug is
// on (flag, or turned on by a reload) and is a 404 otherwise.
func TestDebugPprof(t *testing.T) {
	get := func(d *berthd.Daemon, path string) int {
		t.Helper()
		resp, err := d.HTTPClient().Get("http://berthd" + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	on := berthd.Start(t, "--debug")
	for _, p := range []string{"/debug/pprof/", "/debug/pprof/goroutine?debug=1", "/debug/pprof/cmdline", "/debug/vars", "/v1.50/debug/pprof/heap"} {
		if code := get(on, p); code != http.StatusOK {
			t.Errorf("--debug: GET %s = %d", p, code)
		}
	}
	off := berthd.Start(t)
	if code := get(off, "/debug/pprof/"); code != http.StatusNotFound {
		t.Errorf("without debug: GET /debug/pprof/ = %d, want 404", code)
	}
	writeDaemonJSON(t, off, `{"debug":true}`)
	sighup(t, off, "Reloaded configuration")
	if code := get(off, "/debug/pprof/"); code != http.StatusOK {
		t.Errorf("after reloading with debug: GET /debug/pprof/ = %d", code)
	}
}

// TestDaemonReloadMirrors adds a Docker Hub mirror by reload: the next
// pull of a Docker Hub image goes through it, and `docker events --filter
// type=daemon` sees the reload.
func TestDaemonReloadMirrors(t *testing.T) {
	reg, built := mirrorWithAlpine(t)
	d := berthd.Start(t)
	cli := dockercli.New(t, d.Host())
	events := cli.Start("events", "--filter", "type=daemon", "--format", "{{.Type}} {{.Action}} {{.Actor.ID}}")
	time.Sleep(300 * time.Millisecond)
	writeDaemonJSON(t, d, `{"registry-mirrors":["http://`+reg.Host()+`"]}`)
	sighup(t, d, "Reloaded configuration")
	id := strings.TrimSpace(cli.MustRun("info", "--format", "{{.ID}}").Stdout)
	if !events.WaitForOutput("daemon reload "+id, 10*time.Second) {
		t.Errorf("filtered events: %q", events.Stdout())
	}
	checkPulledThroughMirror(t, cli, reg, built)
}

// TestDaemonReloadDownloadCap changes max-concurrent-downloads by reload
// and watches the registry: with every layer stalled, 3 downloads run at
// once by default and 1 after reloading with "max-concurrent-downloads": 1.
func TestDaemonReloadDownloadCap(t *testing.T) {
	reg := registry.Start(t)
	d := berthd.Start(t)
	cli := dockercli.New(t, d.Host())
	inFlight := func(repo string, seed int64) (reached func() int, release func(), p *dockercli.Process) {
		img := fixtures.Image{Layers: []fixtures.Layer{{Seed: seed, Size: 64 << 10}, {Seed: seed + 1, Size: 64 << 10}, {Seed: seed + 2, Size: 64 << 10}}}
		built, err := fixtures.Push(t.Context(), reg.Host(), repo, "latest", img)
		if err != nil {
			t.Fatal(err)
		}
		var stalls []*registry.Stall
		for _, l := range built.Layers {
			stalls = append(stalls, reg.StallBlob(repo, l.Digest, 1<<10))
		}
		p = cli.Start("pull", reg.Host()+"/"+repo+":latest")
		reached = func() int {
			select { // the first download started…
			case <-stalls[0].Reached():
			case <-stalls[1].Reached():
			case <-stalls[2].Reached():
			case <-time.After(20 * time.Second):
				t.Fatal("no layer download started")
			}
			time.Sleep(time.Second) // …give every permitted one time to start
			return registry.CountReached(stalls)
		}
		release = func() {
			for _, s := range stalls {
				s.Release()
			}
		}
		return reached, release, p
	}

	reached, release, p := inFlight("team/cap3", 70)
	if n := reached(); n != 3 {
		t.Errorf("default cap: %d layer downloads in flight, want 3", n)
	}
	release()
	if res := p.Wait(); res.ExitCode != 0 {
		t.Fatalf("pull: %s", res.Combined())
	}

	writeDaemonJSON(t, d, `{"max-concurrent-downloads":1}`)
	sighup(t, d, "Reloaded configuration")
	reached, release, p = inFlight("team/cap1", 80)
	if n := reached(); n != 1 {
		t.Errorf("after reloading with a cap of 1: %d layer downloads in flight", n)
	}
	release()
	if res := p.Wait(); res.ExitCode != 0 {
		t.Fatalf("pull: %s", res.Combined())
	}
}
