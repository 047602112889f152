package config

import (
	"strings"
	"testing"
)

func TestMaxConcurrentUploads(t *testing.T) {
	if got := New().MaxConcurrentUploads; got != 5 {
		t.Errorf("default max-concurrent-uploads %d, want dockerd's 5", got)
	}
	c := New()
	if err := c.LoadFile(writeFile(t, `{"max-concurrent-uploads":2}`), true, noFlags); err != nil || c.MaxConcurrentUploads != 2 {
		t.Fatalf("daemon.json key: %d %v", c.MaxConcurrentUploads, err)
	}
	err := New().LoadFile(writeFile(t, `{"max-concurrent-uploads":2}`), true, func(name string) (string, bool) {
		return "3", name == "max-concurrent-uploads"
	})
	if err == nil || !strings.Contains(err.Error(), "max-concurrent-uploads: (from flag: 3, from file: 2)") {
		t.Errorf("flag and key: %v", err)
	}
	c.MaxConcurrentUploads = 0
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "invalid max-concurrent-uploads 0") {
		t.Errorf("zero uploads: %v", err)
	}
}
