package schema1

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
)

func parseSteps(t *testing.T, steps []step) *Manifest {
	t.Helper()
	m, _, err := Parse(render(t, manifestDoc("r", "t", steps)), MediaTypeManifest)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestImageConfigLayout checks dockerd's MakeConfigFromV1Config layout:
// the newest v1 JSON minus id/parent/Size/throwaway, sorted compact keys,
// rootfs and history of every entry, oldest first.
func TestImageConfigLayout(t *testing.T) {
	steps := threeSteps()
	steps[2].cmd = []string{"/bin/sh", "-c", "echo hi"}
	steps[2].extra = map[string]any{
		"os": "linux", "architecture": "arm64", "docker_version": "1.10.3",
		"author": "me", "comment": "c", "Size": 5, "layer_id": "x",
		"config": map[string]any{"Cmd": []string{"sh"}, "Env": []string{"A=b"}},
	}
	m := parseSteps(t, steps)
	if p := m.Platform(); p.OS != "linux" || p.Architecture != "arm64" {
		t.Errorf("platform %+v", p)
	}
	diffIDs := []digest.Digest{digest.FromString("d1"), digest.FromString("d2")}
	got, err := imageConfig(m, diffIDs)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"architecture":"arm64","author":"me","comment":"c",` +
		`"config":{"Cmd":["sh"],"Env":["A=b"]},` +
		`"container_config":{"Cmd":["/bin/sh","-c","echo hi"]},` +
		`"created":"2016-01-01T00:00:02Z","docker_version":"1.10.3",` +
		`"history":[` +
		`{"created":"2016-01-01T00:00:00Z","created_by":"/bin/sh -c #(nop) ADD file:x in /"},` +
		`{"created":"2016-01-01T00:00:01Z","created_by":"/bin/sh -c #(nop)  ENV A=b","empty_layer":true},` +
		`{"created":"2016-01-01T00:00:02Z","created_by":"/bin/sh -c echo hi","author":"me","comment":"c"}],` +
		`"os":"linux",` +
		`"rootfs":{"type":"layers","diff_ids":["` + diffIDs[0].String() + `","` + diffIDs[1].String() + `"]}}`
	if string(got) != want {
		t.Fatalf("config\n got %s\nwant %s", got, want)
	}
}

// TestImageConfigOldDocker: v1 JSON of docker < 1.8.3 goes through the
// V1Image layout (unknown keys dropped, container config fields in struct
// order), a string Cmd is accepted, a missing os is filled in.
func TestImageConfigOldDocker(t *testing.T) {
	steps := []step{{
		blob: digest.FromString("only"),
		cmd:  []string{"/bin/sh -c #(nop) ADD file:y in /"},
		extra: map[string]any{
			"docker_version": "1.8.2", "Size": 0, "architecture": "amd64",
			"config": map[string]any{"PublishService": "", "Cmd": "sh", "Hostname": "h", "Env": nil},
		},
	}}
	m := parseSteps(t, steps)
	if p := m.Platform(); p.OS != "linux" || p.Architecture != "amd64" {
		t.Errorf("platform %+v", p)
	}
	got, err := imageConfig(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]json.RawMessage
	if err := json.Unmarshal(got, &c); err != nil {
		t.Fatal(err)
	}
	if _, ok := c["Size"]; ok {
		t.Error("Size kept")
	}
	if string(c["os"]) != `"linux"` || string(c["rootfs"]) != `{"type":"layers"}` {
		t.Errorf("os %s rootfs %s", c["os"], c["rootfs"])
	}
	cfg := string(c["config"])
	if strings.Contains(cfg, "PublishService") || !strings.HasPrefix(cfg, `{"Hostname":"h","Domainname":"",`) || !strings.Contains(cfg, `"Cmd":["sh"]`) {
		t.Errorf("config %s", cfg)
	}
}

func TestVersionLess(t *testing.T) {
	for _, c := range []struct {
		a, b string
		less bool
	}{
		{"1.8.2", "1.8.3", true}, {"1.8.3", "1.8.3", false}, {"1.10.0", "1.8.3", false},
		{"", "1.8.3", true}, {"1.8.3-dev", "1.8.3", true}, {"17.03.1-ce", "1.8.3", false},
	} {
		if got := versionLess(c.a, c.b); got != c.less {
			t.Errorf("versionLess(%q, %q) = %v", c.a, c.b, got)
		}
	}
}
