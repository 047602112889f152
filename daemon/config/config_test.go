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
	p := writeFile(t, `{"data-root":"/x","bogus":1,"storage-opts":[]}`)
	err := New().LoadFile(p, true, noFlags)
	if err == nil || !strings.Contains(err.Error(), "the following directives don't match any configuration option: bogus, storage-opts") {
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
		"invalid host":           func(c *Config) { c.Hosts = []string{"fd://"} },
		"zero downloads":         func(c *Config) { c.MaxConcurrentDownloads = 0 },
		"unknown snapshotter":    func(c *Config) { c.Snapshotter = "zfs" },
		"insecure with scheme":   func(c *Config) { c.InsecureRegistries = []string{"http://reg"} },
		"mirror without scheme":  func(c *Config) { c.RegistryMirrors = []string{"mirror.local"} },
		"unknown log level":      func(c *Config) { c.LogLevel = "loud" },
		"tcp host without port":  func(c *Config) { c.Hosts = []string{"tcp://127.0.0.1"} },
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
