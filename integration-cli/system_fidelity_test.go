package integrationcli

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/testutil/berthd"
	"github.com/berth-dev/berth/testutil/dockercli"
)

// TestDockerVersionNoBlankFields: every field `docker version` prints for
// the server has a value (Git commit and Built come from the build).
func TestDockerVersionNoBlankFields(t *testing.T) {
	d := berthd.Start(t)
	out := dockercli.New(t, d.Host()).MustRun("version").Stdout
	_, server, ok := strings.Cut(out, "Server: ")
	if !ok {
		t.Fatalf("no server section:\n%s", out)
	}
	// A blank field is its name, the column padding and nothing else;
	// section headers ("Engine:") have no padding.
	blank := regexp.MustCompile(`^\s+([A-Za-z ]+):\s+$`)
	for _, l := range strings.Split(server, "\n") {
		if m := blank.FindStringSubmatch(l); m != nil {
			t.Errorf("docker version: %q is blank\n%s", m[1], server)
		}
	}
	for _, want := range []string{"Git commit:", "Built:", "Experimental:     false"} {
		if !strings.Contains(server, want) {
			t.Errorf("docker version lacks %q:\n%s", want, server)
		}
	}
}

// TestDockerInfoFidelity reads `docker info` as JSON from a berthd started
// with --debug, a TCP listener, a mirror and an insecure registry: the
// values dockerd would show.
func TestDockerInfoFidelity(t *testing.T) {
	addr := freeTCPAddr(t)
	d := berthd.Start(t, "--debug", "-H", "tcp://"+addr, "--registry-mirror", "https://mirror.example.com", "--insecure-registry", "10.0.0.0/8")
	cli := dockercli.New(t, d.Host())
	var info map[string]any
	if err := json.Unmarshal([]byte(cli.MustRun("info", "--format", "{{json .}}").Stdout), &info); err != nil {
		t.Fatal(err)
	}
	get := func(path string) any {
		var v any = info
		for _, k := range strings.Split(path, ".") {
			m, _ := v.(map[string]any)
			v = m[k]
		}
		return v
	}
	for _, p := range []string{"Plugins.Volume", "Plugins.Network", "Plugins.Authorization", "Plugins.Log", "GenericResources", "SecurityOptions"} {
		if _, ok := get(p).([]any); !ok {
			t.Errorf("%s is %v, want an array", p, get(p))
		}
	}
	if got := get("Swarm.LocalNodeState"); got != "inactive" {
		t.Errorf("Swarm.LocalNodeState %v", got)
	}
	if got := get("Debug"); got != true {
		t.Errorf("Debug %v with --debug", got)
	}
	if n, _ := get("NFd").(float64); n < 5 {
		t.Errorf("NFd %v", get("NFd"))
	}
	var cidrs []string
	for _, c := range get("RegistryConfig.InsecureRegistryCIDRs").([]any) {
		cidrs = append(cidrs, fmt.Sprint(c))
	}
	if !slices.Equal(cidrs, []string{"10.0.0.0/8", "::1/128", "127.0.0.0/8"}) {
		t.Errorf("InsecureRegistryCIDRs %q", cidrs)
	}
	if got := fmt.Sprint(get("RegistryConfig.Mirrors")); got != "[https://mirror.example.com/]" {
		t.Errorf("Mirrors %s, want the normalised https://mirror.example.com/", got)
	}
	warnings := fmt.Sprint(get("Warnings"))
	if !strings.Contains(warnings, "[DEPRECATION NOTICE]: API is accessible on http://"+addr+" without encryption.") {
		t.Errorf("no unencrypted-TCP warning: %s", warnings)
	}
	res := cli.MustRun("info")
	if !strings.Contains(res.Stdout, "Debug Mode: true") || !strings.Contains(res.Stdout, "Swarm: inactive") || !strings.Contains(res.Stdout, "https://mirror.example.com/") {
		t.Errorf("docker info:\n%s", res.Stdout)
	}
	if !strings.Contains(res.Stderr, "without encryption") {
		t.Errorf("docker info prints no warning on stderr: %q", res.Stderr)
	}
}

// TestEventsLegacyFields: below API 1.52 image events carry the old
// status and id fields, which CLIs before 25.0 and compose read.
func TestEventsLegacyFields(t *testing.T) {
	e := newImageEnv(t)
	b := e.pushPull("ev/legacy", "1", smallImage(75))
	start := time.Now()
	e.docker("tag", e.ref("ev/legacy", "1"), "legacy-copy:2")
	end := time.Now().Add(time.Second)
	out := e.docker("events", "--since", strconv.FormatInt(start.Unix(), 10), "--until", strconv.FormatInt(end.Unix(), 10),
		"--filter", "event=tag", "--format", "{{.Status}}|{{.ID}}|{{.From}}")
	if got, want := strings.TrimSpace(out), "tag|"+b.Digest.String()+"|"; got != want {
		t.Errorf("events with legacy fields: %q, want %q", got, want)
	}
}
