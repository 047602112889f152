package integrationcli

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/containerd/platforms"
	"github.com/opencontainers/go-digest"

	"github.com/berth-dev/berth/testutil/berthd"
	"github.com/berth-dev/berth/testutil/dockercli"
	"github.com/berth-dev/berth/testutil/fixtures"
	"github.com/berth-dev/berth/testutil/registry"
)

// pushedDigest returns the digest of the "<tag>: digest: … size: N" line.
func pushedDigest(t *testing.T, out []string, tag string) digest.Digest {
	t.Helper()
	i := indexOfPrefix(out, tag+": digest: sha256:")
	if i < 0 {
		t.Fatalf("no %q digest line in\n%s", tag, strings.Join(out, "\n"))
	}
	d, size, ok := strings.Cut(strings.TrimPrefix(out[i], tag+": digest: "), " size: ")
	if _, err := strconv.Atoi(size); !ok || err != nil {
		t.Fatalf("digest line %q", out[i])
	}
	return digest.Digest(d)
}

// lastStatuses returns the last status each layer row printed.
func lastStatuses(out []string) map[string]string {
	m := map[string]string{}
	for id, sts := range layerStatuses(out) {
		m[id] = sts[len(sts)-1]
	}
	return m
}

// TestPushRoundTrip pulls an image from one registry, pushes it to another,
// removes everything and pulls it back from the second: same manifest
// digest, same image ID. A second push finds every layer there.
func TestPushRoundTrip(t *testing.T) {
	t.Parallel()
	src, dst := registry.Start(t), registry.Start(t)
	d := berthd.Start(t, "--insecure-registry", src.Host(), "--insecure-registry", dst.Host())
	e := &imageEnv{t: t, reg: src, d: d, cli: dockercli.New(t, d.Host())}
	built := e.pushPull("team/app", "v1", threeLayers(300))
	target := dst.Host() + "/mirror/app:v1"
	e.docker("tag", e.ref("team/app", "v1"), target)
	id := e.inspect(target)["Id"]

	out := lines(e.docker("push", target))
	if out[0] != "The push refers to repository ["+dst.Host()+"/mirror/app]" {
		t.Errorf("first line %q\n%s", out[0], strings.Join(out, "\n"))
	}
	final := lastStatuses(out)
	for _, l := range built.Layers {
		if got := final[shortID(l.Digest)]; got != "Pushed" {
			t.Errorf("layer %s: last status %q, want Pushed\n%s", shortID(l.Digest), got, strings.Join(out, "\n"))
		}
		if sts := layerStatuses(out)[shortID(l.Digest)]; sts[0] != "Preparing" {
			t.Errorf("layer %s: statuses %q, want Preparing first", shortID(l.Digest), sts)
		}
	}
	if len(final) != len(built.Layers) {
		t.Errorf("rows %v, want one per layer (no config, no manifest)", final)
	}
	if d := pushedDigest(t, out, "v1"); d != built.Digest {
		t.Errorf("pushed digest %s, want the pulled manifest %s", d, built.Digest)
	}
	for _, l := range built.Layers {
		if n := countUploads(dst, "mirror/app", l.Digest); n != 1 {
			t.Errorf("layer %s uploaded %d times, want 1", shortID(l.Digest), n)
		}
	}

	again := lines(e.docker("push", target))
	for _, l := range built.Layers {
		if got := lastStatuses(again)[shortID(l.Digest)]; got != "Layer already exists" {
			t.Errorf("second push, layer %s: %q, want Layer already exists\n%s", shortID(l.Digest), got, strings.Join(again, "\n"))
		}
	}
	if d := pushedDigest(t, again, "v1"); d != built.Digest {
		t.Errorf("second push digest %s", d)
	}

	e.docker("rmi", target, e.ref("team/app", "v1"))
	if ls := lines(e.docker("images", "-q")); len(ls) != 0 {
		t.Fatalf("images left: %v", ls)
	}
	if blobs := e.contentBlobs(); len(blobs) != 0 {
		t.Fatalf("content left after rmi: %v", blobs)
	}
	if pulled := lines(e.docker("pull", target)); countPrefix(pulled, "Status: Downloaded newer image") != 1 {
		t.Errorf("pull back:\n%s", strings.Join(pulled, "\n"))
	}
	back := e.inspect(target)
	if back["Id"] != id {
		t.Errorf("pulled back ID %v, want %v", back["Id"], id)
	}
	if rd, _ := back["RepoDigests"].([]any); len(rd) != 1 || rd[0] != dst.Host()+"/mirror/app@"+built.Digest.String() {
		t.Errorf("RepoDigests %v", back["RepoDigests"])
	}
}

// countUploads counts the completed monolithic uploads of dgst to repo.
func countUploads(reg *registry.Registry, repo string, dgst digest.Digest) int {
	n := 0
	for _, r := range reg.Requests() {
		q, _ := url.ParseQuery(r.Query)
		if r.Method == http.MethodPut && strings.HasPrefix(r.Path, "/v2/"+repo+"/blobs/uploads/") &&
			q.Get("digest") == dgst.String() && r.Status == http.StatusCreated {
			n++
		}
	}
	return n
}

// TestPushMountsFromPulledRepository: an image pulled from repository A and
// pushed to repository B of the same registry is mounted, not uploaded.
func TestPushMountsFromPulledRepository(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	built := e.pushPull("library/source", "1", threeLayers(310))
	target := e.ref("team/copy", "1")
	e.docker("tag", e.ref("library/source", "1"), target)
	e.reg.ResetRequests()

	out := lines(e.docker("push", target))
	for _, l := range built.Layers {
		if got := lastStatuses(out)[shortID(l.Digest)]; got != "Mounted from library/source" {
			t.Errorf("layer %s: %q, want Mounted from library/source\n%s", shortID(l.Digest), got, strings.Join(out, "\n"))
		}
		mounted := false
		for _, r := range e.reg.Requests() {
			q, _ := url.ParseQuery(r.Query)
			if r.Method == http.MethodPost && r.Path == "/v2/team/copy/blobs/uploads/" &&
				q.Get("from") == "library/source" && q.Get("mount") == l.Digest.String() && r.Status == http.StatusCreated {
				mounted = true
			}
		}
		if !mounted {
			t.Errorf("no mount POST for layer %s in %+v", shortID(l.Digest), e.reg.Requests())
		}
		if n := countUploads(e.reg, "team/copy", l.Digest); n != 0 {
			t.Errorf("layer %s was uploaded %d times", shortID(l.Digest), n)
		}
	}
	if d := pushedDigest(t, out, "1"); d != built.Digest {
		t.Errorf("digest %s, want %s", d, built.Digest)
	}
}

// TestPushAllTags: `docker push -a` pushes every local tag of the
// repository, and only that repository.
func TestPushAllTags(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	one := e.pushPull("src/a", "1", smallImage(320))
	two := e.pushPull("src/b", "1", smallImage(321))
	repo := e.reg.Host() + "/all/app"
	e.docker("tag", e.ref("src/a", "1"), repo+":one")
	e.docker("tag", e.ref("src/b", "1"), repo+":two")
	e.docker("tag", e.ref("src/b", "1"), e.reg.Host()+"/all/other:x")

	out := lines(e.docker("push", "-a", repo))
	if d := pushedDigest(t, out, "one"); d != one.Digest {
		t.Errorf("one: %s, want %s", d, one.Digest)
	}
	if d := pushedDigest(t, out, "two"); d != two.Digest {
		t.Errorf("two: %s, want %s", d, two.Digest)
	}
	if n := countPrefix(out, "The push refers to repository"); n != 1 {
		t.Errorf("%d repository lines\n%s", n, strings.Join(out, "\n"))
	}
	if n := e.reg.Count(http.MethodPut, registry.ManifestPath("all/other", "x")); n != 0 {
		t.Error("pushed a tag of another repository")
	}
	for tag, want := range map[string]digest.Digest{"one": one.Digest, "two": two.Digest} {
		if n := e.reg.Count(http.MethodPut, registry.ManifestPath("all/app", tag)); n != 1 {
			t.Errorf("tag %s: %d manifest PUTs, want 1 (want digest %s)", tag, n, want)
		}
	}

	stderr := e.dockerFail("push", "-a", e.reg.Host()+"/none/here")
	if !strings.Contains(stderr, "An image does not exist locally with the tag: "+e.reg.Host()+"/none/here") {
		t.Errorf("push -a of an unknown repository: %s", stderr)
	}
}

// TestPushMissingImage: pushing a name berthd does not have says so as
// dockerd does (the repository line, then "tag does not exist"), and nothing
// reaches the registry.
func TestPushMissingImage(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	ref := e.ref("no/such", "v9")
	res := e.cli.Run("push", ref)
	if res.ExitCode != 1 || !strings.Contains(res.Stdout, "The push refers to repository ["+e.reg.Host()+"/no/such]") ||
		!strings.Contains(res.Stderr, "tag does not exist: "+ref) {
		t.Errorf("push of a missing image: exit %d\nstdout:%s\nstderr:%s", res.ExitCode, res.Stdout, res.Stderr)
	}
	if n := len(e.reg.Requests()); n != 0 {
		t.Errorf("%d registry requests for a missing image", n)
	}
}

// TestPushPartialMultiPlatform: an index pulled for one platform pushes
// that platform's manifest (the CLI says so); with two foreign platforms
// present the choice is refused; --platform pushes exactly one manifest or
// names the missing platform; once everything is present, the index goes.
func TestPushPartialMultiPlatform(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	host := platforms.Format(platforms.DefaultSpec())
	idx := e.pushIndex("multi/app", "1", fixtures.Index{Manifests: fixtures.Platforms(host, "linux/s390x", "linux/riscv64")})
	src, target := e.ref("multi/app", "1"), e.ref("multi/copy", "1")
	e.docker("pull", "--platform", "linux/riscv64", src)
	e.docker("tag", src, target)

	res := e.cli.MustRun("push", target)
	if d := pushedDigest(t, lines(res.Stdout), "1"); d != idx.Image("linux/riscv64").Digest {
		t.Errorf("pushed %s, want the riscv64 manifest %s", d, idx.Image("linux/riscv64").Digest)
	}
	note := "Not all multiplatform-content is present and only the available single-platform image was pushed"
	if !strings.Contains(res.Combined(), note) || !strings.Contains(res.Combined(), idx.Digest.String()) {
		t.Errorf("push output lacks the CLI's note:\n%s", res.Combined())
	}
	want := "image with reference " + target + " was found but does not provide the specified platform (linux/s390x)"
	if stderr := e.dockerFail("push", "--platform", "linux/s390x", target); !strings.Contains(stderr, want) {
		t.Errorf("push --platform linux/s390x: %s\nwant %q", stderr, want)
	}

	e.docker("pull", "--platform", "linux/s390x", src)
	want = "multiple matching manifests found but no specific platform requested"
	if stderr := e.dockerFail("push", target); !strings.Contains(stderr, want) {
		t.Errorf("push with two foreign platforms: %s\nwant %q", stderr, want)
	}
	out := lines(e.docker("push", "--platform", "linux/s390x", target))
	if d := pushedDigest(t, out, "1"); d != idx.Image("linux/s390x").Digest {
		t.Errorf("push --platform linux/s390x: %s", d)
	}

	e.docker("pull", src)
	if d := pushedDigest(t, lines(e.docker("push", target)), "1"); d != idx.Digest {
		t.Errorf("push with every platform present: %s, want the index %s", d, idx.Digest)
	}
}

// TestPushEvent: each pushed tag is a `push` image event.
func TestPushEvent(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	img := smallImage(330)
	img.Labels = map[string]string{"tier": "db"}
	e.pushPull("ev/src", "1", img)
	target := e.ref("ev/pushed", "1")
	e.docker("tag", e.ref("ev/src", "1"), target)
	start := time.Now()
	e.docker("push", target)
	end := time.Now()
	got := lines(e.docker("events", "--filter", "event=push",
		"--since", strconv.FormatFloat(float64(start.UnixNano())/1e9, 'f', 6, 64),
		"--until", strconv.FormatFloat(float64(end.UnixNano())/1e9, 'f', 6, 64),
		"--format", `{{.Type}}|{{.Action}}|{{.Actor.ID}}|{{index .Actor.Attributes "name"}}|{{index .Actor.Attributes "tier"}}`))
	want := "image|push|" + target + "|" + e.reg.Host() + "/ev/pushed|db"
	if len(got) != 1 || got[0] != want {
		t.Errorf("events %q, want [%q]", got, want)
	}
}
