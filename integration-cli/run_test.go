package integrationcli

import (
	"strings"
	"testing"

	"github.com/berth-dev/berth/testutil/fixtures"
)

const noContainers = "containers are not supported by berthd yet"

// TestRunImplicitPull runs a tag-less name that is not local: the create
// answers "No such image: <name>:latest", so the CLI says it cannot find the
// image, pulls it and retries; the retry reaches berthd's answer that it
// runs no containers. The image is then local, and a second run no longer
// pulls.
func TestRunImplicitPull(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	b := e.push("run/app", "latest", smallImage(80))
	name := e.reg.Host() + "/run/app"

	res := e.cli.Run("run", name)
	out := res.Combined()
	if res.ExitCode != 125 {
		t.Errorf("docker run exit %d, want 125", res.ExitCode)
	}
	for _, want := range []string{
		"Unable to find image '" + name + ":latest' locally",
		"Status: Downloaded newer image for " + name + ":latest",
		noContainers,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("docker run output lacks %q:\n%s", want, out)
		}
	}
	if got := strings.TrimSpace(e.docker("image", "inspect", "-f", "{{.Id}}", name)); got != b.Digest.String() {
		t.Errorf("after run, %s is %q, want %s", name, got, b.Digest)
	}

	for _, args := range [][]string{{"run", name}, {"run", "--rm", shortID(b.Digest)}, {"create", name + ":latest"}} {
		res := e.cli.Run(args...)
		if res.ExitCode == 0 || strings.Contains(res.Stderr, "Unable to find image") || !strings.Contains(res.Stderr, noContainers) {
			t.Errorf("docker %v: exit %d, stderr %q; want the no-containers error without a pull", args, res.ExitCode, res.Stderr)
		}
	}
}

// TestRunMissingEverywhere runs a name the registry does not have either.
func TestRunMissingEverywhere(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	name := e.reg.Host() + "/run/missing:1"
	res := e.cli.Run("run", name)
	if res.ExitCode != 125 || !strings.Contains(res.Stderr, "Unable to find image '"+name+"' locally") || strings.Contains(res.Stderr, noContainers) {
		t.Errorf("docker run %s: exit %d, stderr %q", name, res.ExitCode, res.Stderr)
	}
	if msg := e.dockerFail("image", "inspect", name); !strings.Contains(msg, "No such image: "+name) {
		t.Errorf("inspect after a failed run: %q", msg)
	}
}

// TestRunOtherPlatform runs with --platform a platform the local image
// lacks: the create answers not-found, the CLI pulls that platform.
func TestRunOtherPlatform(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	idx := e.pushIndex("run/multi", "1", fixtures.Index{Manifests: fixtures.Platforms("linux/amd64", "linux/arm64")})
	ref := e.ref("run/multi", "1")
	e.cli.MustRun("pull", "-q", "--platform", "linux/amd64", ref)

	res := e.cli.Run("run", "--platform", "linux/arm64", ref)
	if !strings.Contains(res.Stderr, "Unable to find image '"+ref+"' locally") || !strings.Contains(res.Stderr, noContainers) {
		t.Errorf("run --platform linux/arm64: exit %d, stderr %q", res.ExitCode, res.Stderr)
	}
	got := strings.TrimSpace(e.docker("image", "inspect", "--platform", "linux/arm64", "-f", "{{.Id}} {{.Architecture}}", ref))
	if want := idx.Image("linux/arm64").Digest.String() + " arm64"; got != want {
		t.Errorf("after run --platform: %q, want %q", got, want)
	}
	res = e.cli.Run("run", "--platform", "linux/arm64", ref)
	if strings.Contains(res.Stderr, "Unable to find image") || !strings.Contains(res.Stderr, noContainers) {
		t.Errorf("second run --platform linux/arm64: stderr %q, want no pull", res.Stderr)
	}
}

// TestPsIsEmpty checks that the container list answers an empty list.
func TestPsIsEmpty(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	for _, args := range [][]string{{"ps"}, {"ps", "-a"}, {"container", "ls", "-q"}} {
		out := e.docker(args...)
		rows := lines(out)
		if len(rows) > 1 || (len(rows) == 1 && !strings.HasPrefix(rows[0], "CONTAINER ID")) {
			t.Errorf("docker %v printed %q, want no containers", args, out)
		}
	}
}
