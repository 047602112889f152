package config

import (
	"strings"
	"testing"
	"time"
)

// TestDownloadRetryKeys: max-download-attempts (dockerd's key, default 5)
// and download-stall-timeout (a Go duration, default 30s) are read from
// daemon.json, conflict with their flags, and are validated.
func TestDownloadRetryKeys(t *testing.T) {
	c := New()
	if c.MaxDownloadAttempts != 5 || time.Duration(c.DownloadStallTimeout) != 30*time.Second {
		t.Errorf("defaults: %d attempts, stall timeout %s; want dockerd's 5 and 30s", c.MaxDownloadAttempts, c.DownloadStallTimeout)
	}
	if err := c.LoadFile(writeFile(t, `{"max-download-attempts":2,"download-stall-timeout":"1m30s"}`), true, noFlags); err != nil {
		t.Fatal(err)
	}
	if c.MaxDownloadAttempts != 2 || time.Duration(c.DownloadStallTimeout) != 90*time.Second || len(c.Ignored) != 0 {
		t.Errorf("from the file: %d attempts, stall timeout %s, ignored %q", c.MaxDownloadAttempts, c.DownloadStallTimeout, c.Ignored)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("valid values refused: %v", err)
	}

	err := New().LoadFile(writeFile(t, `{"download-stall-timeout":"5s"}`), true, func(name string) (string, bool) {
		return "2s", name == "download-stall-timeout"
	})
	if err == nil || !strings.Contains(err.Error(), `download-stall-timeout: (from flag: 2s, from file: "5s")`) {
		t.Errorf("flag and key: %v", err)
	}
	for file, want := range map[string]string{
		`{"download-stall-timeout":30}`:     `invalid duration 30: want a string`,
		`{"download-stall-timeout":"soon"}`: `invalid duration "soon"`,
		`{"max-download-attempts":"many"}`:  `max-download-attempts`,
	} {
		if err := New().LoadFile(writeFile(t, file), true, noFlags); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error with %q", file, err, want)
		}
	}

	for _, bad := range []struct {
		set  func(*Config)
		want string
	}{
		{func(c *Config) { c.MaxDownloadAttempts = 0 }, "invalid max-download-attempts 0: it must be at least 1"},
		{func(c *Config) { c.DownloadStallTimeout = 0 }, "invalid download-stall-timeout 0s: it must be positive"},
		{func(c *Config) { c.DownloadStallTimeout = Duration(-time.Second) }, "invalid download-stall-timeout -1s"},
	} {
		c := New()
		bad.set(c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("Validate: %v, want %q", err, bad.want)
		}
	}
}
