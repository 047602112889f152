// Package systemd speaks the two systemd protocols a service daemon needs:
// socket activation (sd_listen_fds(3): LISTEN_PID, LISTEN_FDS) and
// readiness notification (sd_notify(3): NOTIFY_SOCKET). Both are no-ops
// outside systemd.
package systemd

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// listenFDsStart is the first file descriptor systemd passes (SD_LISTEN_FDS_START).
const listenFDsStart = 3

// Listeners returns the sockets systemd passed to this process, in order
// (fd 3, 4, …), and unsets LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES so
// children do not inherit them. It returns none when the variables are
// absent or meant for another process. A passed descriptor that is not a
// listening socket yields a nil entry.
func Listeners() []net.Listener {
	defer func() {
		_ = os.Unsetenv("LISTEN_PID")
		_ = os.Unsetenv("LISTEN_FDS")
		_ = os.Unsetenv("LISTEN_FDNAMES")
	}()
	pid, err := strconv.Atoi(os.Getenv("LISTEN_PID"))
	if err != nil || pid != os.Getpid() {
		return nil
	}
	n, err := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	if err != nil || n <= 0 {
		return nil
	}
	names := strings.Split(os.Getenv("LISTEN_FDNAMES"), ":")
	ls := make([]net.Listener, n)
	for i := range n {
		fd := listenFDsStart + i
		unix.CloseOnExec(fd)
		name := "LISTEN_FD_" + strconv.Itoa(fd)
		if i < len(names) && names[i] != "" {
			name = names[i]
		}
		f := os.NewFile(uintptr(fd), name)
		l, err := net.FileListener(f)
		f.Close() // FileListener dups the descriptor
		if err == nil {
			ls[i] = l
		}
	}
	return ls
}

// Select picks the listeners an fd:// host names, as dockerd does: "" or
// "*" is every activated socket, a number is that descriptor; the others
// are closed.
func Select(ls []net.Listener, addr string) ([]net.Listener, error) {
	if len(ls) == 0 {
		return nil, errors.New("no sockets found via socket activation: make sure the service was started by systemd")
	}
	if addr == "" || addr == "*" {
		var out []net.Listener
		for _, l := range ls {
			if l != nil {
				out = append(out, l)
			}
		}
		return out, nil
	}
	fdNum, err := strconv.Atoi(addr)
	if err != nil {
		return nil, fmt.Errorf("failed to parse systemd fd address: should be a number: %v", addr)
	}
	i := fdNum - listenFDsStart
	if i < 0 || i >= len(ls) {
		return nil, errors.New("too few socket activated files passed in by systemd")
	}
	if ls[i] == nil {
		return nil, fmt.Errorf("failed to listen on systemd activated file: fd %d", fdNum)
	}
	for j, l := range ls {
		if j != i && l != nil {
			l.Close()
		}
	}
	return []net.Listener{ls[i]}, nil
}
