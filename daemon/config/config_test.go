package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "daemon.json")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func noFlags(string) (string, bool) { return "", false }

func TestLoadFileSetsKeys(t *testing.T) {
	c := New()
	p := writeFile(t, `{"data-root":"/srv/berth","insecure-registries":["reg:5000","10.0.0.0/8"],"max-concurrent-downloads":7,"snapshotter":"native"}`)
	if err := c.LoadFile(p, true, noFlags); err != nil {
		t.Fatal(err)
	}
	if c.DataRoot != "/srv/berth" || c.MaxConcurrentDownloads != 7 || c.Snapshotter != "native" || len(c.InsecureRegistries) != 2 {
		t.Fatalf("config not loaded: %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Hosts[0] != DefaultHost {
		t.Errorf("unset keys must keep defaults, hosts = %v", c.Hosts)
	}
}

func TestLoadFileUnknownKey(t *testing.T) {
	p := writeFile(t, `{"data-root":"/x","bogus":1,"storage-opts":[],"proxies":{"http-proxy":"http://p","nope":true}}`)
	err := New().LoadFile(p, true, noFlags)
	if err == nil || !strings.Contains(err.Error(), "the following directives don't match any configuration option: bogus, nope") {
		t.Fatalf("got %v", err)
	}
}

func TestLoadFileConflictWithFlag(t *testing.T) {
	p := writeFile(t, `{"data-root":"/from/file"}`)
	flags := func(name string) (string, bool) {
		if name == "data-root" {
			return "/from/flag", true
		}
		return "", false
	}
	err := New().LoadFile(p, true, flags)
	want := "the following directives are specified both as a flag and in the configuration file: data-root: (from flag: /from/flag, from file: \"/from/file\")"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v", err)
	}
	// Plural keys conflict with their singular flags.
	p = writeFile(t, `{"hosts":["unix:///a.sock"]}`)
	err = New().LoadFile(p, true, func(name string) (string, bool) { return "[unix:///b.sock]", name == "host" })
	if err == nil || !strings.Contains(err.Error(), "hosts: (from flag: [unix:///b.sock]") {
		t.Fatalf("got %v", err)
	}
}

func TestLoadFileMissing(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.json")
	if err := New().LoadFile(missing, false, noFlags); err != nil {
		t.Fatalf("a missing default file is fine: %v", err)
	}
	if err := New().LoadFile(missing, true, noFlags); err == nil {
		t.Fatal("a missing explicit file must fail")
	}
	if err := New().LoadFile(writeFile(t, `{"data-root":`), true, noFlags); err == nil {
		t.Fatal("invalid JSON must fail")
	}
	if err := New().LoadFile(writeFile(t, `{"max-concurrent-downloads":"three"}`), true, noFlags); err == nil {
		t.Fatal("a wrongly typed value must fail")
	}
}

func TestValidate(t *testing.T) {
	bad := map[string]func(*Config){
		"invalid host":           func(c *Config) { c.Hosts = []string{"ssh://host"} },
		"zero downloads":         func(c *Config) { c.MaxConcurrentDownloads = 0 },
		"unknown snapshotter":    func(c *Config) { c.Snapshotter = "zfs" },
		"insecure with scheme":   func(c *Config) { c.InsecureRegistries = []string{"http://reg"} },
		"mirror without scheme":  func(c *Config) { c.RegistryMirrors = []string{"mirror.local"} },
		"unknown log level":      func(c *Config) { c.LogLevel = "loud" },
		"bad insecure CIDR mask": func(c *Config) { c.InsecureRegistries = []string{"10.0.0.0/99"} },
	}
	for name, mutate := range bad {
		c := New()
		mutate(c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	c := New()
	c.Hosts = []string{"unix:///run/b.sock", "tcp://127.0.0.1:2375"}
	c.ContainerdAddr = "/run/containerd/containerd.sock"
	c.Snapshotter = "stargz" // any snapshotter is allowed with a real containerd
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestLoadFileDockerdKeysIgnored loads a daemon.json written for dockerd:
// the keys berthd does not implement are collected, not refused.
func TestLoadFileDockerdKeysIgnored(t *testing.T) {
	c := New()
	p := writeFile(t, `{"debug":true,"labels":["env=ci"],"features":{"buildkit":true},"log-driver":"json-file",
		"log-opts":{"max-size":"10m"},"storage-driver":"overlay2","exec-opts":["native.cgroupdriver=systemd"],
		"max-concurrent-uploads":5,"live-restore":true,"proxies":{"http-proxy":"http://proxy:3128"},"log-format":"json","label":["x=y"]}`)
	if err := c.LoadFile(p, true, noFlags); err != nil {
		t.Fatal(err)
	}
	want := "exec-opts features label live-restore log-driver log-opts storage-driver"
	if got := strings.Join(c.Ignored, " "); got != want {
		t.Errorf("ignored = %q, want %q", got, want)
	}
	if !c.Debug || len(c.Labels) != 1 || c.Labels[0] != "env=ci" || c.LogFormat != "json" || c.HTTPProxy != "http://proxy:3128" {
		t.Errorf("implemented keys not loaded: %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if w := IgnoredWarning("label"); w != `ignoring daemon.json option "label": it is the name of the flag; the daemon.json key is "labels"` {
		t.Errorf("warning %q", w)
	}
}

func TestParseHost(t *testing.T) {
	for in, want := range map[string]string{
		"0.0.0.0:2375":          "tcp 0.0.0.0:2375",
		"127.0.0.1:1234":        "tcp 127.0.0.1:1234",
		":2376":                 "tcp 127.0.0.1:2376",
		"tcp://":                "tcp 127.0.0.1:2375",
		"tcp://10.0.0.1":        "tcp 10.0.0.1:2375",
		"tcp://[::1]:80":        "tcp [::1]:80",
		"fd://":                 "fd ",
		"fd://3":                "fd 3",
		"unix:///run/b.sock":    "unix /run/b.sock",
		"/run/b.sock":           "unix /run/b.sock",
		"ssh://host":            "error",
		"0.0.0.0:notaport":      "error",
		"unix://":               "error",
		"host.example.com:2375": "tcp host.example.com:2375",
	} {
		network, addr, err := ParseHost(in, false)
		got := network + " " + addr
		if err != nil {
			got = "error"
		}
		if got != want {
			t.Errorf("ParseHost(%q) = %q (%v), want %q", in, got, err, want)
		}
	}
	// With TLS a port left out is 2376, as dockerd's.
	for in, want := range map[string]string{"tcp://": "127.0.0.1:2376", "tcp://10.0.0.1": "10.0.0.1:2376", "10.0.0.1:2375": "10.0.0.1:2375"} {
		if _, addr, err := ParseHost(in, true); err != nil || addr != want {
			t.Errorf("ParseHost(%q, TLS) = %q (%v), want %q", in, addr, err, want)
		}
	}
}

func TestValidateLabelsAndLogFormat(t *testing.T) {
	for _, tc := range []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.Labels = []string{"novalue"} }, "bad attribute format: novalue"},
		{func(c *Config) { c.Labels = []string{"com.docker.x=1"} }, "label com.docker.x=1 is not allowed"},
		{func(c *Config) { c.LogFormat = "xml" }, "invalid log format: xml"},
		{func(c *Config) { c.MetricsAddress = "nocolon" }, `invalid metrics-addr "nocolon"`},
	} {
		c := New()
		tc.mod(c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
}

// TestLoadFileRefusesAuthorizationPlugins: a daemon.json that relies on
// authorization plugins does not start berthd open to everyone; an empty
// list is nothing to refuse.
func TestLoadFileRefusesAuthorizationPlugins(t *testing.T) {
	p := writeFile(t, `{"authorization-plugins":["opa-docker-authz"]}`)
	err := New().LoadFile(p, true, noFlags)
	if err == nil || !strings.Contains(err.Error(), "berthd does not support authorization plugins (authorization-plugins)") {
		t.Errorf("authorization plugins: %v", err)
	}
	if err := New().LoadFile(writeFile(t, `{"authorization-plugins":[]}`), true, noFlags); err != nil {
		t.Errorf("empty list: %v", err)
	}
}
