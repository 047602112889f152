package dockercli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Terminal sizes RunInTerminal uses: wide enough that no progress line
// wraps, tall enough that every row stays on screen.
const (
	TerminalCols = 200
	TerminalRows = 50
)

// TerminalResult is a command that ran in a terminal.
type TerminalResult struct {
	// Screen is what the terminal shows once the command exited: its
	// lines without trailing blanks, trailing empty lines dropped. Rows the
	// CLI redrew in place appear once, in their last state.
	Screen []string
	// ExitCode is the command's exit status.
	ExitCode int
}

// String is the screen as text, for failure messages.
func (r TerminalResult) String() string { return strings.Join(r.Screen, "\n") }

// RunInTerminal runs `docker args...` in a real terminal, as a person
// would: a detached tmux session of TerminalCols x TerminalRows of its own
// (private server socket, so tests do not share tmux state), with the CLI's
// environment. It waits for the command to exit, bounded by the CLI's
// timeout, and returns the final screen (see TerminalResult). It fails the
// test if tmux is missing or the command times out.
func (c *CLI) RunInTerminal(args ...string) TerminalResult {
	c.t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		c.t.Fatalf("tmux not found on PATH: %v", err)
	}
	dir, err := os.MkdirTemp("", "berth-tmux")
	if err != nil {
		c.t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	conf := filepath.Join(dir, "tmux.conf")
	if err := os.WriteFile(conf, []byte("set -g history-limit 0\n"), 0o600); err != nil {
		c.t.Fatal(err)
	}
	sock := filepath.Join(dir, "tmux.sock")
	exitFile := filepath.Join(dir, "exit")
	tmux := func(targs ...string) (string, error) {
		cmd := exec.Command("tmux", append([]string{"-S", sock, "-f", conf}, targs...)...)
		cmd.Env = c.environ()
		cmd.WaitDelay = 5 * time.Second
		out, err := cmd.CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("tmux %s: %v: %s", strings.Join(targs, " "), err, out)
		}
		return string(out), nil
	}
	defer func() { _, _ = tmux("kill-server") }()

	// tmux drops what a pane prints just before its process exits, so the
	// shell records the exit status and stays (silently) until the screen
	// has been read.
	command := shellJoin(append([]string{"docker"}, args...)) + "; echo $? > " + shellJoin([]string{exitFile}) +
		"; exec tmux -S " + shellJoin([]string{sock}) + " wait-for captured"
	if _, err := tmux("new-session", "-d", "-s", "cli",
		"-x", strconv.Itoa(TerminalCols), "-y", strconv.Itoa(TerminalRows), command); err != nil {
		c.t.Fatal(err)
	}
	capture := func() string {
		screen, err := tmux("capture-pane", "-p", "-t", "cli")
		if err != nil {
			c.t.Fatal(err)
		}
		return screen
	}
	deadline := time.Now().Add(c.timeout())
	for {
		if b, err := os.ReadFile(exitFile); err == nil && strings.HasSuffix(string(b), "\n") {
			code, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				code = -1
			}
			// The command's last output may still be on its way to the
			// screen: wait until two captures agree.
			screen := capture()
			for i := 0; i < 50; i++ {
				time.Sleep(100 * time.Millisecond)
				next := capture()
				if next == screen {
					break
				}
				screen = next
			}
			_, _ = tmux("wait-for", "-S", "captured")
			return TerminalResult{Screen: screenLines(screen), ExitCode: code}
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("docker %s: timed out after %v in the terminal; screen:\n%s", strings.Join(args, " "), c.timeout(), capture())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// screenLines trims a captured pane.
func screenLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		out = append(out, strings.TrimRight(l, " "))
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// shellJoin quotes args for sh.
func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}
