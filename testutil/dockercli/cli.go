// Package dockercli runs the real docker CLI ("docker" on PATH) against a
// daemon in tests. Every command gets DOCKER_HOST set to the daemon, a
// private DOCKER_CONFIG directory (no user configuration leaks in), no TTY
// and no stdin unless given, and is bounded by a timeout so a hang fails
// the test instead of blocking CI.
//
//	cli := dockercli.New(t, daemon.Host())
//	cli.MustRun("pull", reg.Host()+"/library/busybox:latest")
//	res := cli.Run("image", "inspect", "nope") // res.ExitCode == 1
package dockercli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// DefaultTimeout bounds every command unless CLI.Timeout is set.
const DefaultTimeout = 2 * time.Minute

// CLI runs docker commands against one daemon.
type CLI struct {
	t         testing.TB
	host      string
	configDir string

	// Timeout bounds each command; DefaultTimeout when zero.
	Timeout time.Duration
	// Env holds extra KEY=VALUE entries for every command.
	Env []string
}

// Result is a finished command.
type Result struct {
	Stdout, Stderr string
	// ExitCode is the process exit status; -1 if it did not exit normally
	// (killed, timed out, or could not start).
	ExitCode int
	// TimedOut is set when the command was killed by the timeout.
	TimedOut bool
}

// Combined returns stdout followed by stderr.
func (r Result) Combined() string { return r.Stdout + r.Stderr }

// New returns a CLI for the daemon at host (a DOCKER_HOST value such as
// "unix:///tmp/berth123/berthd.sock") with an empty private config
// directory, removed when the test ends.
func New(t testing.TB, host string) *CLI {
	t.Helper()
	if _, err := exec.LookPath("docker"); err != nil {
		t.Fatalf("docker CLI not found on PATH: %v", err)
	}
	dir, err := os.MkdirTemp("", "berth-docker-config")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return &CLI{t: t, host: host, configDir: dir}
}

// Host returns the daemon host the CLI talks to.
func (c *CLI) Host() string { return c.host }

// ConfigDir returns the DOCKER_CONFIG directory (config.json lives there,
// e.g. after `docker login`).
func (c *CLI) ConfigDir() string { return c.configDir }

// SetAuth records credentials for registry in config.json's "auths", as
// `docker login` would without a credential helper.
func (c *CLI) SetAuth(registry, user, password string) {
	c.t.Helper()
	path := filepath.Join(c.configDir, "config.json")
	cfg := map[string]any{}
	if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, &cfg); err != nil {
			c.t.Fatalf("parse %s: %v", path, err)
		}
	}
	auths, _ := cfg["auths"].(map[string]any)
	if auths == nil {
		auths = map[string]any{}
	}
	auths[registry] = map[string]string{
		"auth": base64.StdEncoding.EncodeToString([]byte(user + ":" + password)),
	}
	cfg["auths"] = auths
	b, err := json.MarshalIndent(cfg, "", "\t")
	if err != nil {
		c.t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		c.t.Fatal(err)
	}
}

// Run runs `docker args...` and returns its result; a non-zero exit is not
// a test failure, but a timeout is (reported with t.Errorf, so Run may be
// called from any goroutine).
func (c *CLI) Run(args ...string) Result {
	c.t.Helper()
	return c.RunWithStdin(nil, args...)
}

// RunWithStdin is Run with stdin connected to r.
func (c *CLI) RunWithStdin(r io.Reader, args ...string) Result {
	c.t.Helper()
	res := c.exec(r, args)
	if res.TimedOut {
		c.t.Errorf("docker %s: timed out after %v\nstdout:\n%s\nstderr:\n%s",
			strings.Join(args, " "), c.timeout(), res.Stdout, res.Stderr)
	}
	return res
}

// MustRun is Run that fails the test (t.Fatalf, so call it from the test
// goroutine) unless the command exits 0.
func (c *CLI) MustRun(args ...string) Result {
	c.t.Helper()
	res := c.Run(args...)
	if res.ExitCode != 0 {
		c.t.Fatalf("docker %s: exit code %d\nstdout:\n%s\nstderr:\n%s",
			strings.Join(args, " "), res.ExitCode, res.Stdout, res.Stderr)
	}
	return res
}

func (c *CLI) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

// command builds the docker command with the CLI's environment.
func (c *CLI) command(ctx context.Context, args []string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Env = c.environ()
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// environ is the process environment without DOCKER_* variables, plus
// DOCKER_HOST, DOCKER_CONFIG, hints off, and Env.
func (c *CLI) environ() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DOCKER_") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"DOCKER_HOST="+c.host,
		"DOCKER_CONFIG="+c.configDir,
		"DOCKER_CLI_HINTS=false",
	)
	return append(env, c.Env...)
}

func (c *CLI) exec(stdin io.Reader, args []string) Result {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout())
	defer cancel()
	cmd := c.command(ctx, args)
	var stdout, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &stdout, &stderr
	err := cmd.Run()
	res := Result{Stdout: stdout.String(), Stderr: stderr.String(), ExitCode: exitCode(cmd, err)}
	res.TimedOut = errors.Is(ctx.Err(), context.DeadlineExceeded)
	if err != nil && res.ExitCode == -1 && !res.TimedOut {
		res.Stderr += "\n[dockercli: " + err.Error() + "]"
	}
	return res
}

func exitCode(cmd *exec.Cmd, err error) int {
	if cmd.ProcessState != nil && cmd.ProcessState.Exited() {
		return cmd.ProcessState.ExitCode()
	}
	if err == nil {
		return 0
	}
	return -1
}
