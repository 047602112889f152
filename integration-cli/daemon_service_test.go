package integrationcli

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

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
