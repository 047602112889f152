package dockercli

import (
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/berth-dev/berth/testutil/syncbuf"
)

// Process is a docker command running in the background, e.g. a pull to
// interrupt for client-disconnect tests.
type Process struct {
	args   []string
	cancel context.CancelFunc
	stdout *syncbuf.Buffer
	stderr *syncbuf.Buffer
	done   chan struct{}
	res    Result // valid after done
	proc   *os.Process
}

// Start starts `docker args...` in the background. The command is still
// bounded by the CLI's timeout and is killed when the test ends.
func (c *CLI) Start(args ...string) *Process {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout())
	cmd := c.command(ctx, args)
	p := &Process{args: args, cancel: cancel, stdout: &syncbuf.Buffer{}, stderr: &syncbuf.Buffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	if err := cmd.Start(); err != nil {
		cancel()
		c.t.Fatalf("start docker %s: %v", strings.Join(args, " "), err)
	}
	p.proc = cmd.Process
	go func() {
		err := cmd.Wait()
		p.res = Result{
			Stdout:   p.stdout.String(),
			Stderr:   p.stderr.String(),
			ExitCode: exitCode(cmd, err),
			TimedOut: errors.Is(ctx.Err(), context.DeadlineExceeded),
		}
		cancel()
		close(p.done)
	}()
	c.t.Cleanup(func() {
		p.Kill()
		if p.res.TimedOut {
			c.t.Errorf("docker %s: timed out after %v", strings.Join(args, " "), c.timeout())
		}
	})
	return p
}

// PID returns the docker process id.
func (p *Process) PID() int { return p.proc.Pid }

// Stdout returns the output so far.
func (p *Process) Stdout() string { return p.stdout.String() }

// Stderr returns the error output so far.
func (p *Process) Stderr() string { return p.stderr.String() }

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Signal sends sig to the process (e.g. os.Interrupt, like Ctrl-C).
func (p *Process) Signal(sig os.Signal) error {
	select {
	case <-p.done:
		return os.ErrProcessDone
	default:
	}
	return p.proc.Signal(sig)
}

// Interrupt sends SIGINT, as Ctrl-C would.
func (p *Process) Interrupt() error { return p.Signal(syscall.SIGINT) }

// Kill kills the process (SIGKILL) if it is running and waits for it.
func (p *Process) Kill() Result {
	_ = p.Signal(syscall.SIGKILL)
	return p.Wait()
}

// Wait waits for the process to exit (at most the CLI timeout) and
// returns its result.
func (p *Process) Wait() Result {
	<-p.done
	return p.res
}

// WaitForOutput polls stdout and stderr until one contains substr; it
// reports false if the process exits or timeout passes first.
func (p *Process) WaitForOutput(substr string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		if strings.Contains(p.Stdout(), substr) || strings.Contains(p.Stderr(), substr) {
			return true
		}
		select {
		case <-p.done:
			return strings.Contains(p.res.Stdout+p.res.Stderr, substr)
		default:
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}
