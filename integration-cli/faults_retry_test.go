package integrationcli

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/testutil/berthd"
	"github.com/berth-dev/berth/testutil/dockercli"
	"github.com/berth-dev/berth/testutil/registry"
)

// A layer the registry answers 429 (Retry-After: 2) shows dockerd's retry
// countdown on its line, then the pull completes.
func TestFaultPullShowsRetryingIn(t *testing.T) {
	e := newImageEnv(t)
	built := e.push("team/retry", "v1", threeLayers(4242))
	l := built.Layers[0]
	e.reg.ThrottleBlob("team/retry", l.Digest, http.StatusTooManyRequests, 2*time.Second, 1)
	res := e.cli.Run("pull", e.ref("team/retry", "v1"))
	if res.ExitCode != 0 {
		t.Fatalf("pull failed: %s", res.Combined())
	}
	line := l.Digest.Encoded()[:12] + ": Retrying in "
	if !strings.Contains(res.Stdout, line) {
		t.Errorf("docker pull printed no %q line:\n%s", line, res.Stdout)
	}
	if !strings.Contains(res.Stdout, "Digest: "+built.Digest.String()) {
		t.Errorf("pull did not end with the image's digest:\n%s", res.Stdout)
	}
}

// --download-stall-timeout and --max-download-attempts bound a download
// that never sends a byte: the pull fails in seconds, naming the attempts.
func TestFaultStallTimeoutFlag(t *testing.T) {
	reg := registry.Start(t)
	d := berthd.Start(t, "--insecure-registry", reg.Host(), "--download-stall-timeout", "1s", "--max-download-attempts", "2")
	e := &imageEnv{t: t, reg: reg, d: d, cli: dockercli.New(t, d.Host())}
	built := e.push("team/stalled", "v1", threeLayers(4343))
	stall := reg.StallBlob("team/stalled", built.Layers[1].Digest, 0)
	defer stall.Release()
	start := time.Now()
	res := e.cli.Run("pull", e.ref("team/stalled", "v1"))
	took := time.Since(start)
	if res.ExitCode == 0 {
		t.Fatalf("pull of a layer that never arrives succeeded:\n%s", res.Combined())
	}
	if !strings.Contains(res.Combined(), "2 attempts") {
		t.Errorf("the error does not name the attempts:\n%s", res.Combined())
	}
	if took > 30*time.Second {
		t.Errorf("the pull took %s to give up with a 1 s stall timeout", took)
	}
	if out := e.docker("images", "-q"); strings.TrimSpace(out) != "" {
		t.Errorf("a failed pull left images: %q", out)
	}
}

// A registry that takes a request and sends no answer does not hold a pull
// for good: with --download-stall-timeout 1s the unanswered manifest
// request is tried again (the pull completes when the registry answers the
// third), and a registry that never answers fails the pull in seconds,
// saying so.
func TestFaultRegistryThatDoesNotAnswer(t *testing.T) {
	reg := registry.Start(t)
	d := berthd.Start(t, "--insecure-registry", reg.Host(), "--download-stall-timeout", "1s", "--max-download-attempts", "3")
	e := &imageEnv{t: t, reg: reg, d: d, cli: dockercli.New(t, d.Host())}
	built := e.push("team/silent", "v1", threeLayers(4444))
	path := registry.ManifestPath("team/silent", "v1")
	e.reg.Inject(path, registry.Fault{Method: http.MethodHead, Times: 2, Delay: time.Hour})
	e.reg.ResetRequests()
	res := e.cli.Run("pull", e.ref("team/silent", "v1"))
	if res.ExitCode != 0 || !strings.Contains(res.Stdout, "Digest: "+built.Digest.String()) {
		t.Fatalf("pull after two unanswered requests: exit %d\n%s", res.ExitCode, res.Combined())
	}
	if n := e.reg.Count(http.MethodHead, path); n != 3 {
		t.Errorf("the registry got %d HEAD requests for the manifest, want 3 (two unanswered)", n)
	}

	e.docker("rmi", e.ref("team/silent", "v1"))
	e.reg.Inject(path, registry.Fault{Delay: time.Hour})
	start := time.Now()
	res = e.cli.Run("pull", e.ref("team/silent", "v1"))
	took := time.Since(start)
	if res.ExitCode == 0 || !strings.Contains(res.Stderr, "the registry sent no answer for 1s") {
		t.Fatalf("pull from a registry that never answers: exit %d\n%s", res.ExitCode, res.Combined())
	}
	if took > 30*time.Second {
		t.Errorf("the pull took %s to give up with a 1 s stall timeout", took)
	}
}
