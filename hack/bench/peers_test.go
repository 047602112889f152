package bench

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// peersEnv is where the peers built by ../shared/bench/build-peers.sh are
// (containerd 2.4 with its ctr, and dockerd 29).
const peersEnv = "BERTH_BENCH_PEERS"

// baselineEnv names another berthd binary (a build of main, say) that
// BenchmarkDistinctPulls runs beside the one under test, as "baseline".
const baselineEnv = "BERTH_BENCH_BASELINE"

// berthdArgsEnv adds flags to the berthd the peer benchmarks start (for
// example --log-level debug).
const berthdArgsEnv = "BERTH_BENCH_BERTHD_ARGS"

func peersDir() string {
	if d := os.Getenv(peersEnv); d != "" {
		return d
	}
	return "/tmp/peers/bin"
}

// docker is a docker CLI command against host, with a configuration
// directory of its own (state).
func docker(state, host string, args ...string) *exec.Cmd {
	bin, err := exec.LookPath("docker")
	if err != nil {
		bin = "/usr/local/bin/docker"
	}
	c := exec.Command(bin, append([]string{"-H", host}, args...)...)
	c.Env = append(os.Environ(), "DOCKER_CONFIG="+filepath.Join(state, "docker-cli"))
	return c
}

// peerDaemon is one running daemon (and the containerd under it, for moby)
// started by the benchmark: pull returns the client command of one pull.
type peerDaemon struct {
	name  string
	procs []*exec.Cmd // stopped last to first
	dirs  []string    // removed after the daemons stop
	logs  *bytes.Buffer
	pull  func(ref string) *exec.Cmd
}

// stop ends the daemons by PID (SIGTERM, then SIGKILL after 30 s), unmounts
// what they left mounted under their directories and removes those.
func (p *peerDaemon) stop(b *testing.B) {
	for i := len(p.procs) - 1; i >= 0; i-- {
		c := p.procs[i]
		_ = c.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = c.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = c.Process.Kill()
			<-done
		}
	}
	for _, d := range p.dirs {
		unmountUnder(b, d)
		if err := os.RemoveAll(d); err != nil {
			b.Logf("remove %s: %v", d, err)
		}
	}
}

// unmountUnder unmounts every mount at or below dir, deepest first.
func unmountUnder(b *testing.B, dir string) {
	data, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return
	}
	var under []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) > 1 && (f[1] == dir || strings.HasPrefix(f[1], dir+"/")) {
			under = append(under, f[1])
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(under)))
	for _, m := range under {
		if err := unix.Unmount(m, 0); err != nil {
			_ = unix.Unmount(m, unix.MNT_DETACH)
		}
	}
}

// startProc starts one daemon process of p with its output in p.logs.
func (p *peerDaemon) startProc(b *testing.B, bin string, args ...string) {
	c := exec.Command(bin, args...)
	c.Stdout, c.Stderr = p.logs, p.logs
	c.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := c.Start(); err != nil {
		b.Fatalf("%s: %v", p.name, err)
	}
	p.procs = append(p.procs, c)
}

// waitReady runs ready until it succeeds (60 s at most).
func (p *peerDaemon) waitReady(b *testing.B, ready func() *exec.Cmd) {
	deadline := time.Now().Add(60 * time.Second)
	for {
		if err := ready().Run(); err == nil {
			return
		}
		if time.Now().After(deadline) {
			p.stop(b)
			b.Fatalf("%s did not start:\n%s", p.name, p.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// containerd2Config writes containerd 2.x's config (version 4) with every
// path under root and state and the named plugins disabled, as
// ../shared/bench/run.sh does.
func containerd2Config(b *testing.B, file, root, state string, disabled ...string) {
	q := make([]string, len(disabled))
	for i, d := range disabled {
		q[i] = fmt.Sprintf("%q", d)
	}
	conf := fmt.Sprintf(`version = 4
root = %q
state = %q
imports = []
disabled_plugins = [%s]
[plugins.'io.containerd.server.v1.grpc']
  address = %q
[plugins.'io.containerd.server.v1.ttrpc']
  address = %q
[plugins.'io.containerd.nri.v1.nri']
  socket_path = %q
`, root, filepath.Join(state, "run"), strings.Join(q, ", "), filepath.Join(state, "containerd.sock"),
		filepath.Join(state, "containerd.sock.ttrpc"), filepath.Join(state, "nri.sock"))
	if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
		b.Fatal(err)
	}
}

// peerDirs makes an empty store under the benchmark's root (the loop fs
// with make bench) and a state directory under /tmp (sockets must have
// short paths).
func peerDirs(b *testing.B, name string) (root, state string) {
	base := os.Getenv(rootEnv)
	if base == "" {
		base = os.TempDir()
	}
	root, err := os.MkdirTemp(base, name+"-root")
	if err != nil {
		b.Fatal(err)
	}
	state, err = os.MkdirTemp("", "conc-"+name)
	if err != nil {
		b.Fatal(err)
	}
	return root, state
}

// startCtr2 starts containerd 2.4 on an empty root; pulls go through its
// ctr (the transfer service), namespace bench, plain HTTP.
func startCtr2(b *testing.B) *peerDaemon {
	bin := peersDir()
	root, state := peerDirs(b, "ctr2")
	p := &peerDaemon{name: "ctr2", dirs: []string{root, state}, logs: &bytes.Buffer{}}
	conf := filepath.Join(state, "config.toml")
	containerd2Config(b, conf, root, state)
	p.startProc(b, filepath.Join(bin, "containerd"), "--config", conf)
	sock := filepath.Join(state, "containerd.sock")
	ctr := func(args ...string) *exec.Cmd {
		return exec.Command(filepath.Join(bin, "ctr"), append([]string{"-a", sock}, args...)...)
	}
	p.waitReady(b, func() *exec.Cmd { return ctr("version") })
	p.pull = func(ref string) *exec.Cmd { return ctr("-n", "bench", "images", "pull", "--plain-http", ref) }
	return p
}

// startMoby starts dockerd 29 on a containerd 2.4 of its own (CRI off, as
// docker's packages have it) with the containerd image store; pulls go
// through the docker CLI.
func startMoby(b *testing.B, registry string) *peerDaemon {
	bin := peersDir()
	root, state := peerDirs(b, "moby")
	p := &peerDaemon{name: "moby", dirs: []string{root, state}, logs: &bytes.Buffer{}}
	cstate := filepath.Join(state, "containerd")
	for _, d := range []string{filepath.Join(root, "containerd"), cstate} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			b.Fatal(err)
		}
	}
	conf := filepath.Join(cstate, "config.toml")
	containerd2Config(b, conf, filepath.Join(root, "containerd"), cstate,
		"io.containerd.grpc.v1.cri", "io.containerd.cri.v1.images", "io.containerd.cri.v1.runtime",
		"io.containerd.podsandbox.controller.v1.podsandbox")
	p.startProc(b, filepath.Join(bin, "containerd"), "--config", conf)
	csock := filepath.Join(cstate, "containerd.sock")
	p.waitReady(b, func() *exec.Cmd { return exec.Command(filepath.Join(bin, "ctr"), "-a", csock, "version") })
	dconf := filepath.Join(state, "daemon.json")
	if err := os.WriteFile(dconf, []byte(`{"features": {"containerd-snapshotter": true}}`), 0o644); err != nil {
		b.Fatal(err)
	}
	host := "unix://" + filepath.Join(state, "docker.sock")
	p.startProc(b, filepath.Join(bin, "dockerd"), "--config-file", dconf, "--data-root", filepath.Join(root, "docker"),
		"--exec-root", filepath.Join(state, "exec"), "--pidfile", filepath.Join(state, "dockerd.pid"),
		"--host", host, "--containerd", csock, "--insecure-registry", registry,
		"--bridge", "none", "--iptables=false", "--ip6tables=false", "--ip-masq=false")
	p.waitReady(b, func() *exec.Cmd { return docker(state, host, "version") })
	p.pull = func(ref string) *exec.Cmd { return docker(state, host, "pull", ref) }
	return p
}

// startBerthd starts the berthd under test (its binary from BERTHD_BINARY,
// as testutil/berthd) or, with name "baseline", the binary in
// BERTH_BENCH_BASELINE; pulls go through the docker CLI.
func startBerthd(b *testing.B, name, registry string) *peerDaemon {
	bin := os.Getenv("BERTHD_BINARY")
	if name == "baseline" {
		bin = os.Getenv(baselineEnv)
	}
	if bin == "" {
		b.Fatal("BERTHD_BINARY is not set (make bench sets it)")
	}
	root, state := peerDirs(b, name)
	p := &peerDaemon{name: name, dirs: []string{root, state}, logs: &bytes.Buffer{}}
	host := "unix://" + filepath.Join(state, "docker.sock")
	conf := filepath.Join(state, "daemon.json")
	if err := os.WriteFile(conf, []byte("{}"), 0o644); err != nil {
		b.Fatal(err)
	}
	p.startProc(b, bin, append([]string{"--data-root", root, "--host", host, "--pidfile", filepath.Join(state, "berthd.pid"),
		"--config-file", conf, "--insecure-registry", registry}, strings.Fields(os.Getenv(berthdArgsEnv))...)...)
	p.waitReady(b, func() *exec.Cmd { return docker(state, host, "version") })
	p.pull = func(ref string) *exec.Cmd { return docker(state, host, "pull", ref) }
	return p
}

// havePeer reports whether the binaries of a peer are in peersDir.
func havePeer(bins ...string) bool {
	for _, n := range bins {
		if fi, err := os.Stat(filepath.Join(peersDir(), n)); err != nil || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}
