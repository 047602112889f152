package daemon

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// lockDataRoot takes an exclusive, non-blocking lock on <root>/berthd.lock
// so a second berthd on the same data root is refused at once.
func lockDataRoot(root string) (*os.File, error) {
	path := filepath.Join(root, "berthd.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("failed to open lock file %s: %w", path, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			msg := fmt.Sprintf("another berthd is already running with data root %s", root)
			if pid := strings.TrimSpace(string(holder)); pid != "" {
				msg += fmt.Sprintf(" (PID %s)", pid)
			}
			return nil, errors.New(msg + "; stop it or use a different --data-root")
		}
		return nil, fmt.Errorf("failed to lock %s: %w", path, err)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return f, nil
}

// writePidfile writes the PID file, refusing to replace the file of a
// process that is still running (as dockerd).
func writePidfile(path string) error {
	if path == "" {
		return nil
	}
	if data, err := os.ReadFile(path); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil && pid != os.Getpid() && processAlive(pid) {
			return fmt.Errorf("pid file found, ensure berthd is not running or delete %s (process with PID %d is still running)", path, pid)
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())), 0o644)
}

func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := unix.Kill(pid, 0)
	return err == nil || errors.Is(err, unix.EPERM)
}
