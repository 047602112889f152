package config

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// ParseHost splits a -H value into a network and an address, as dockerd
// reads it: unix:// (or a bare path) is a unix socket, tcp:// or a bare
// host:port is TCP (an empty host is 127.0.0.1, an empty port 2375, or
// 2376 when withTLS), and fd:// (optionally fd://<name or number>) takes
// sockets from systemd's socket activation.
func ParseHost(h string, withTLS bool) (network, addr string, err error) {
	port := DefaultTCPPort
	if withTLS {
		port = DefaultTLSPort
	}
	switch {
	case strings.HasPrefix(h, "unix://"):
		addr = strings.TrimPrefix(h, "unix://")
		if addr == "" {
			return "", "", fmt.Errorf("invalid host %q: empty socket path", h)
		}
		return "unix", addr, nil
	case strings.HasPrefix(h, "fd://"):
		return "fd", strings.TrimPrefix(h, "fd://"), nil
	case strings.HasPrefix(h, "/"):
		return "unix", h, nil
	case strings.HasPrefix(h, "tcp://"):
		addr, err = parseTCPAddr(strings.TrimPrefix(h, "tcp://"), port)
	case !strings.Contains(h, "://"):
		addr, err = parseTCPAddr(h, port)
	default:
		return "", "", fmt.Errorf("invalid host %q: only unix://, tcp:// and fd:// are supported", h)
	}
	if err != nil {
		return "", "", fmt.Errorf("invalid host %q: %v", h, err)
	}
	return "tcp", addr, nil
}

// parseTCPAddr fills the defaults of a host:port.
func parseTCPAddr(hp, defaultPort string) (string, error) {
	if hp == "" {
		return net.JoinHostPort("127.0.0.1", defaultPort), nil
	}
	host, port, err := net.SplitHostPort(hp)
	if err != nil {
		// No port: dockerd adds the default one.
		if host, port, err = net.SplitHostPort(net.JoinHostPort(hp, defaultPort)); err != nil {
			return "", err
		}
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = defaultPort
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "", fmt.Errorf("invalid port %q", port)
	}
	return net.JoinHostPort(host, port), nil
}
