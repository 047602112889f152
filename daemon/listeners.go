package daemon

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"time"

	"github.com/containerd/log"

	"github.com/berth-dev/berth/daemon/config"
	"github.com/berth-dev/berth/daemon/systemd"
)

// listen opens the listeners of the -H values: one per unix:// or tcp://
// host, the systemd-activated sockets for fd://. With tlsCfg the TCP ones
// (activated or not) serve TLS; unix sockets never do.
func listen(hosts []string, group string, tlsCfg *tls.Config) ([]net.Listener, []string, error) {
	var ls []net.Listener
	var cleanup []string
	var activated []net.Listener
	activatedRead := false
	for _, h := range hosts {
		network, addr, err := config.ParseHost(h, tlsCfg != nil)
		if err != nil {
			closeAll(ls)
			return nil, nil, err
		}
		var l net.Listener
		switch network {
		case "fd":
			if !activatedRead {
				activated, activatedRead = systemd.Listeners(), true
			}
			fds, err := systemd.Select(activated, addr)
			if err != nil {
				closeAll(ls)
				return nil, nil, err
			}
			for _, l := range fds {
				if l.Addr().Network() == "tcp" {
					l = serveTCP(l, h, tlsCfg)
				}
				ls = append(ls, l)
			}
			continue
		case "unix":
			l, err = listenUnix(addr, group)
			cleanup = append(cleanup, addr)
		case "tcp":
			if l, err = net.Listen("tcp", addr); err == nil {
				l = serveTCP(l, h, tlsCfg)
			}
		}
		if err != nil {
			closeAll(ls)
			return nil, nil, fmt.Errorf("failed to listen on %s: %w", h, err)
		}
		ls = append(ls, l)
	}
	return ls, cleanup, nil
}

// serveTCP wraps l (the TCP socket of host) in TLS when tlsCfg is set,
// and says plainly when anyone who reaches it controls berthd.
func serveTCP(l net.Listener, host string, tlsCfg *tls.Config) net.Listener {
	switch {
	case tlsCfg == nil:
		log.L.Warnf("LISTENING ON %s WITHOUT TLS OR AUTHENTICATION: anyone who can reach this address controls berthd. Use a unix socket, or --tlsverify, unless you know what you are doing.", host)
		return l
	case tlsCfg.ClientAuth != tls.RequireAndVerifyClientCert:
		log.L.Warnf("Listening on %s with TLS but without --tlsverify: anyone who can reach this address controls berthd.", host)
	}
	return tls.NewListener(l, tlsCfg)
}

// listenUnix creates the socket (mode 0660, owned by group if given). A stale
// socket left by a crash is replaced; a live one is refused.
func listenUnix(path, group string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("%s exists and is not a socket", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("another daemon is already serving on %s", path)
		}
		log.L.WithField("socket", path).Info("removing stale socket")
		if err := os.Remove(path); err != nil {
			return nil, err
		}
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	gid := os.Getgid()
	if group != "" {
		if g, err := lookupGroup(group); err == nil {
			gid = g
		} else {
			log.L.WithError(err).Warnf("could not find group %q for the socket; keeping the default group", group)
		}
	}
	if err := os.Chown(path, 0, gid); err != nil && !errors.Is(err, os.ErrPermission) {
		log.L.WithError(err).Warn("could not chown the socket")
	}
	if err := os.Chmod(path, 0o660); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

func lookupGroup(name string) (int, error) {
	if gid, err := strconv.Atoi(name); err == nil {
		return gid, nil
	}
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(g.Gid)
}

func closeAll(ls []net.Listener) {
	for _, l := range ls {
		l.Close()
	}
}
