package systemd

import (
	"net"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// Notification states (sd_notify(3)).
const (
	Ready     = "READY=1"
	Stopping  = "STOPPING=1"
	Reloading = "RELOADING=1"
)

// Notify sends state to the service manager's NOTIFY_SOCKET. It reports
// false, with no error, when berthd does not run under a manager that
// asked for notifications.
func Notify(state string) (bool, error) {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return false, nil
	}
	if path[0] == '@' { // abstract namespace
		path = "\x00" + path[1:]
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return false, err
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return false, err
	}
	return true, nil
}

// ReloadingState is RELOADING=1 with the MONOTONIC_USEC= field that
// Type=notify-reload services must send with it.
func ReloadingState() string {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	usec := ts.Nano() / int64(time.Microsecond)
	return Reloading + "\nMONOTONIC_USEC=" + strconv.FormatInt(usec, 10)
}
