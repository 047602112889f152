package dockercli

import (
	"strings"
	"testing"
)

// TestTerminalRun runs docker in the terminal: the exit status comes back
// and the screen has the output (TestPullInTerminal in integration-cli
// shows the CLI draws there as in a terminal).
func TestTerminalRun(t *testing.T) {
	cli := New(t, "unix:///nonexistent.sock")
	term := cli.Terminal(150, 20)
	screen := term.Run("--version")
	if screen.ExitCode != 0 || len(screen.Lines) != 1 || !strings.HasPrefix(screen.Lines[0], "Docker version ") {
		t.Fatalf("docker --version in a terminal: exit %d, screen %q", screen.ExitCode, screen.Lines)
	}
	screen = term.Run("no-such-command")
	if screen.ExitCode == 0 || !strings.Contains(screen.String(), "no-such-command") {
		t.Errorf("failing command: exit %d, screen:\n%s", screen.ExitCode, screen)
	}
}
