package integrationcli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMakeInstallSystemdUnits installs into a prefix with `make install`
// and checks the units as systemd reads them (systemd-analyze verify, where
// installed): Type=notify, socket activation, reload by SIGHUP.
func TestMakeInstallSystemdUnits(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	prefix := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "make", "-C", root, "install", "PREFIX="+prefix)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make install: %v\n%s", err, out)
	}
	if fi, err := os.Stat(filepath.Join(prefix, "bin", "berthd")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Fatalf("berthd not installed executable: %v", err)
	}
	units := filepath.Join(prefix, "lib", "systemd", "system")
	service, err := os.ReadFile(filepath.Join(units, "berthd.service"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Type=notify", "ExecStart=" + filepath.Join(prefix, "bin", "berthd") + " -H fd://",
		"ExecReload=/bin/kill -s HUP $MAINPID", "Requires=berthd.socket"} {
		if !strings.Contains(string(service), want) {
			t.Errorf("berthd.service lacks %q:\n%s", want, service)
		}
	}
	socket, err := os.ReadFile(filepath.Join(units, "berthd.socket"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(socket), "ListenStream=/run/berth.sock") {
		t.Errorf("berthd.socket:\n%s", socket)
	}
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Log("systemd-analyze not installed: units not verified")
		return
	}
	out, err := exec.CommandContext(ctx, "systemd-analyze", "verify",
		filepath.Join(units, "berthd.socket"), filepath.Join(units, "berthd.service")).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
