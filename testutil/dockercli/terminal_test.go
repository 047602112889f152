package dockercli

import (
	"testing"
)

func TestRunInTerminal(t *testing.T) {
	d := startFakeDaemon(t)
	c := New(t, d.host)
	res := c.RunInTerminal("version", "--format", "{{.Server.Version}} on a {{.Server.Os}} terminal")
	if res.ExitCode != 0 || len(res.Screen) != 1 || res.Screen[0] != "fake-1.0 on a linux terminal" {
		t.Fatalf("screen %q, exit %d", res.Screen, res.ExitCode)
	}
	res = c.RunInTerminal("no-such-command")
	if res.ExitCode == 0 || len(res.Screen) == 0 {
		t.Fatalf("unknown command: screen %q, exit %d", res.Screen, res.ExitCode)
	}
}
