package daemon

import (
	"fmt"
	"net/url"
	"os"
	"strings"
)

// securityOptions lists the security features the host has, in dockerd's
// notation and order: apparmor, seccomp (dockerd's builtin profile),
// selinux, rootless, cgroupns (cgroup v2 hosts).
func securityOptions() []string {
	opts := []string{}
	if b, err := os.ReadFile("/sys/module/apparmor/parameters/enabled"); err == nil && strings.HasPrefix(string(b), "Y") {
		opts = append(opts, "name=apparmor")
	}
	if status, err := os.ReadFile("/proc/self/status"); err == nil && strings.Contains(string(status), "\nSeccomp:") {
		opts = append(opts, "name=seccomp,profile=builtin")
	}
	if b, err := os.ReadFile("/sys/fs/selinux/enforce"); err == nil && strings.TrimSpace(string(b)) == "1" {
		opts = append(opts, "name=selinux")
	}
	if os.Geteuid() != 0 {
		opts = append(opts, "name=rootless")
	}
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		opts = append(opts, "name=cgroupns")
	}
	return opts
}

// openFDs is the number of file descriptors berthd has open.
func openFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents) - 1 // the directory being read
}

// apiWarnings are dockerd's warnings for API listeners a remote user can
// reach without TLS (berthd has no TLS, so every TCP listener).
func apiWarnings(hosts []string) []string {
	const warn = `
         Access to the remote API is equivalent to root access on the host. Refer
         to the 'Docker daemon attack surface' section in the documentation for
         more information: https://docs.docker.com/go/attack-surface/`
	const removal = "In future versions this will be a hard failure preventing the daemon from starting! Learn more at: https://docs.docker.com/go/api-security/"
	var out []string
	for _, h := range hosts {
		proto, addr, ok := strings.Cut(h, "://")
		if !ok {
			proto, addr = "tcp", h // "-H 0.0.0.0:2375" means TCP, as dockerd
			if strings.HasPrefix(h, "/") {
				continue
			}
		}
		if proto != "tcp" {
			continue
		}
		out = append(out, fmt.Sprintf("[DEPRECATION NOTICE]: API is accessible on http://%s without encryption.%s\n%s", addr, warn, removal))
	}
	return out
}

// normalizeMirror writes a registry mirror as dockerd shows it: with a
// scheme and a trailing slash ("https://mirror.example.com/").
func normalizeMirror(m string) string {
	if !strings.Contains(m, "://") {
		m = "https://" + m
	}
	u, err := url.Parse(m)
	if err != nil {
		return m
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u.String()
}
