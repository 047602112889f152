package systemd

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
)

func TestNotify(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	if sent, err := Notify(Ready); sent || err != nil {
		t.Fatalf("without NOTIFY_SOCKET: sent %v, %v", sent, err)
	}
	path := filepath.Join(t.TempDir(), "notify")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	t.Setenv("NOTIFY_SOCKET", path)
	if sent, err := Notify(ReloadingState()); !sent || err != nil {
		t.Fatalf("sent %v, %v", sent, err)
	}
	buf := make([]byte, 256)
	n, _, err := c.ReadFromUnix(buf)
	if err != nil {
		t.Fatal(err)
	}
	if msg := string(buf[:n]); !strings.HasPrefix(msg, "RELOADING=1\nMONOTONIC_USEC=") {
		t.Errorf("message %q", msg)
	}
}

func TestListenersForAnotherProcess(t *testing.T) {
	t.Setenv("LISTEN_PID", "1")
	t.Setenv("LISTEN_FDS", "1")
	if ls := Listeners(); ls != nil {
		t.Fatalf("took sockets meant for pid 1: %v", ls)
	}
}

func TestSelect(t *testing.T) {
	mk := func() []net.Listener {
		var ls []net.Listener
		for range 2 {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ls = append(ls, l)
		}
		return ls
	}
	if _, err := Select(nil, ""); err == nil || !strings.Contains(err.Error(), "no sockets found via socket activation") {
		t.Errorf("no sockets: %v", err)
	}
	if ls, err := Select(mk(), "*"); err != nil || len(ls) != 2 {
		t.Errorf("all: %v %v", ls, err)
	}
	ls := mk()
	got, err := Select(ls, "4")
	if err != nil || len(got) != 1 || got[0] != ls[1] {
		t.Fatalf("fd 4: %v %v", got, err)
	}
	if _, err := net.Dial("tcp", ls[0].Addr().String()); err == nil {
		t.Error("the unselected socket was left open")
	}
	for _, bad := range []string{"x", "9"} {
		if _, err := Select(mk(), bad); err == nil {
			t.Errorf("fd://%s accepted", bad)
		}
	}
}
