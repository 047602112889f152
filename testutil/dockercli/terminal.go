package dockercli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Screen is what a person sees in a terminal after a command ran in it.
type Screen struct {
	// Lines are the rows of the final screen with the scrollback above it
	// (everything still on the terminal, as a person scrolling up sees it),
	// trailing spaces and trailing empty rows removed.
	Lines []string
	// ExitCode is the command's exit status.
	ExitCode int
}

// String returns the screen as text, one row per line.
func (s Screen) String() string { return strings.Join(s.Lines, "\n") }

// Terminal is a real pseudo-terminal of a fixed size (a detached tmux
// session on a private tmux server), in which docker commands run as a user
// would type them: stdout is a TTY, so the CLI draws progress bars and
// moves the cursor to update lines in place.
//
//	term := cli.Terminal(200, 50)
//	screen := term.Run("pull", ref)
//	// screen.Lines: "v1: Pulling from team/app", "<id>: Pull complete", …
type Terminal struct {
	cli           *CLI
	width, height int
	socket, conf  string
	n             int
}

// Terminal returns a terminal of width×height characters. The CLI draws
// progress bars only when the terminal is wider than 110 columns.
func (c *CLI) Terminal(width, height int) *Terminal {
	c.t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		c.t.Skip("tmux is not installed")
	}
	dir := c.t.TempDir()
	term := &Terminal{cli: c, width: width, height: height, socket: filepath.Join(dir, "tmux.sock"), conf: filepath.Join(dir, "tmux.conf")}
	// Windows stay if their shell dies, so the last screen can still be
	// read.
	if err := os.WriteFile(term.conf, []byte("set-option -g remain-on-exit on\n"), 0o644); err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { _ = term.tmux(context.Background(), "kill-server").Run() })
	return term
}

// Run runs `docker args...` in a fresh window of the terminal, waits for it
// to exit (bounded by the CLI's timeout) and returns the final screen.
func (term *Terminal) Run(args ...string) Screen {
	t := term.cli.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), term.cli.timeout())
	defer cancel()
	term.n++
	session := "docker" + strconv.Itoa(term.n)
	// A tmux server starting while others start may exit at once ("server
	// exited unexpectedly"): try again, a few times.
	for attempt := 1; ; attempt++ {
		out, err := term.tmux(ctx, "new-session", "-d", "-s", session,
			"-x", strconv.Itoa(term.width), "-y", strconv.Itoa(term.height),
			term.shellCommand(args)).CombinedOutput()
		if err == nil {
			break
		}
		if attempt == 5 || !strings.Contains(string(out), "server exited unexpectedly") {
			t.Fatalf("tmux new-session: %v: %s", err, out)
		}
		time.Sleep(time.Duration(attempt) * 100 * time.Millisecond)
	}
	code, err := term.waitExit(ctx, session)
	if err != nil {
		screen, _ := term.capture(context.Background(), session)
		t.Fatalf("docker %s in a terminal: %v; screen:\n%s", strings.Join(args, " "), err, screen)
	}
	lines, err := term.capture(ctx, session)
	if err != nil {
		t.Fatalf("tmux capture-pane: %v", err)
	}
	_ = term.tmux(ctx, "kill-session", "-t", session).Run()
	return Screen{Lines: lines, ExitCode: code}
}

// exitTitle prefixes the pane title the shell sets when docker has exited;
// the exit status follows it.
const exitTitle = "berth-exit:"

// shellCommand is the command tmux runs: docker with exactly the CLI's
// environment (no variables of the test process or of tmux leak in), then
// its exit status reported in-band as the pane's title (an OSC 2 sequence),
// after which the shell stays asleep. tmux parses the pane's output in
// order, so once the title shows, everything docker wrote is on the screen;
// a shell that exited instead could have its last output dropped when tmux
// closes the dead pane's pty.
func (term *Terminal) shellCommand(args []string) string {
	parts := []string{"env", "-i"}
	for _, kv := range append(term.cli.environ(), "TERM=xterm-256color") {
		if strings.HasPrefix(kv, "TMUX") {
			continue
		}
		parts = append(parts, shellQuote(kv))
	}
	parts = append(parts, "docker")
	for _, a := range args {
		parts = append(parts, shellQuote(a))
	}
	return strings.Join(parts, " ") + `; s=$?; printf '\033]2;` + exitTitle + `%s\033\\' "$s"; exec sleep 86400`
}

// waitExit polls until the window's title reports docker's exit and
// returns its exit status.
func (term *Terminal) waitExit(ctx context.Context, session string) (int, error) {
	for {
		out, err := term.tmux(ctx, "display-message", "-p", "-t", session, "#{pane_dead} #{pane_title}").Output()
		if err != nil && ctx.Err() == nil {
			return -1, fmt.Errorf("tmux display-message: %v", err)
		}
		dead, title, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
		if code, ok := strings.CutPrefix(title, exitTitle); ok {
			n, err := strconv.Atoi(code)
			if err != nil {
				return -1, fmt.Errorf("exit status %q", code)
			}
			return n, nil
		}
		if dead == "1" {
			return -1, fmt.Errorf("the terminal's shell died before docker's exit was reported")
		}
		select {
		case <-ctx.Done():
			return -1, fmt.Errorf("still running after %v", term.cli.timeout())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// capture returns the rows of the window and its scrollback, wrapped rows
// joined.
func (term *Terminal) capture(ctx context.Context, session string) ([]string, error) {
	out, err := term.tmux(ctx, "capture-pane", "-p", "-J", "-S", "-", "-t", session).Output()
	if err != nil {
		return nil, err
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		lines = append(lines, strings.TrimRight(l, " "))
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines, nil
}

func (term *Terminal) tmux(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "tmux", append([]string{"-S", term.socket, "-f", term.conf}, args...)...)
	cmd.Env = append(term.cli.environ(), "TMUX=")
	return cmd
}

// shellQuote quotes s for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
