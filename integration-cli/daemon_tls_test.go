package integrationcli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/testutil/berthd"
	"github.com/berth-dev/berth/testutil/certs"
	"github.com/berth-dev/berth/testutil/dockercli"
)

// tlsCLI is the docker CLI at host with DOCKER_TLS_VERIFY and the
// certificates of dir (DOCKER_CERT_PATH: ca.pem, cert.pem, key.pem).
func tlsCLI(t *testing.T, host, dir string) *dockercli.CLI {
	cli := dockercli.New(t, host)
	cli.Env = []string{"DOCKER_TLS_VERIFY=1", "DOCKER_CERT_PATH=" + dir}
	return cli
}

// TestTCPHostTLSVerify: with --tlsverify (as in dockerd's "protect the
// daemon socket" set-up) the TCP socket serves TLS and lets in only the
// clients whose certificate the CA signed; the unix socket stays as it is.
func TestTCPHostTLSVerify(t *testing.T) {
	ca := certs.NewCA(t, "berth test CA")
	srv := ca.Server(t, "127.0.0.1")
	host := "tcp://" + freeTCPAddr(t)
	d := berthd.Start(t, "-H", host, "--tlsverify", "--tlscacert", ca.File(), "--tlscert", srv.Cert, "--tlskey", srv.Key)

	if out := tlsCLI(t, host, ca.Client(t).Dir).MustRun("version", "--format", "{{.Server.Platform.Name}}").Stdout; strings.TrimSpace(out) != "berth" {
		t.Errorf("docker --tlsverify version: %q", out)
	}
	dockercli.New(t, d.Host()).MustRun("version")

	res := dockercli.New(t, host).Run("version")
	if res.ExitCode == 0 || !strings.Contains(res.Stderr, "Client sent an HTTP request to an HTTPS server") {
		t.Errorf("plain HTTP client: exit %d, stderr %q", res.ExitCode, res.Stderr)
	}
	// A certificate of another CA (the client still trusts berthd's).
	stranger := certs.NewCA(t, "another CA").Client(t)
	if err := os.WriteFile(filepath.Join(stranger.Dir, "ca.pem"), readFileT(t, ca.File()), 0o600); err != nil {
		t.Fatal(err)
	}
	if res := tlsCLI(t, host, stranger.Dir).Run("version"); res.ExitCode == 0 || !strings.Contains(res.Stderr, "tls:") {
		t.Errorf("client certificate of another CA: exit %d, stderr %q", res.ExitCode, res.Stderr)
	}
	if strings.Contains(d.Logs(), "WITHOUT TLS") || strings.Contains(d.Logs(), "without --tlsverify") {
		t.Errorf("a warning for a verified TLS socket:\n%s", d.Logs())
	}
}

// TestTCPHostTLSFromDaemonJSON: the same settings in daemon.json; "tls"
// alone serves TLS without asking for a client certificate (and says that
// anyone can get in); files that do not load stop berthd with the reason.
func TestTCPHostTLSFromDaemonJSON(t *testing.T) {
	ca := certs.NewCA(t, "berth test CA")
	srv := ca.Server(t, "127.0.0.1")
	host := "tcp://" + freeTCPAddr(t)
	cfg := filepath.Join(t.TempDir(), "daemon.json")
	write := func(json string) {
		if err := os.WriteFile(cfg, []byte(json), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	files := `"tlscacert": "` + ca.File() + `", "tlscert": "` + srv.Cert + `", "tlskey": "` + srv.Key + `"`
	write(`{"tlsverify": true, ` + files + `}`)
	d := berthd.Start(t, "--config-file", cfg, "-H", host)
	tlsCLI(t, host, ca.Client(t).Dir).MustRun("version")
	if res := dockercli.New(t, host).Run("version"); res.ExitCode == 0 {
		t.Errorf("plain HTTP client got in: %s", res.Stdout)
	}
	d.Stop()

	write(`{"tls": true, ` + files + `}`)
	d = berthd.Start(t, "--config-file", cfg, "-H", host)
	// The docker CLI with --tls and no client certificate of its own.
	noCert := t.TempDir()
	if err := os.WriteFile(filepath.Join(noCert, "ca.pem"), readFileT(t, ca.File()), 0o600); err != nil {
		t.Fatal(err)
	}
	if res := dockercli.New(t, host).Run("--tls", "--tlscacert", filepath.Join(noCert, "ca.pem"), "version"); res.ExitCode != 0 {
		t.Errorf("docker --tls without a client certificate: %s", res.Stderr)
	}
	if !strings.Contains(d.Logs(), "with TLS but without --tlsverify") {
		t.Errorf("no warning for TLS without client verification:\n%s", d.Logs())
	}
	d.Stop()

	write(`{"tlsverify": true, "tlscacert": "` + ca.File() + `", "tlscert": "` + srv.Cert + `", "tlskey": "/nonexistent/key.pem"}`)
	out, err := runBerthd(t, "--config-file", cfg, "-H", host, "--data-root", filepath.Join(t.TempDir(), "root"))
	if err == nil || !strings.Contains(out, "invalid TLS configuration") || !strings.Contains(out, "/nonexistent/key.pem") {
		t.Errorf("berthd with a missing key file: %v\n%s", err, out)
	}
}
