package integrationcli

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// threeLayers is an image with three distinct gzip layers.
func threeLayers(seed int64) fixtures.Image {
	return fixtures.Image{
		Layers: []fixtures.Layer{
			{Seed: seed, Size: 256 << 10},
			{Seed: seed + 1, Size: 128 << 10},
			{Seed: seed + 2, Size: 512 << 10},
		},
		Cmd:    []string{"/bin/app"},
		Labels: map[string]string{"org.example.pulled": "yes"},
	}
}

// layerStatuses returns, per layer ID, the statuses the CLI printed for it
// in order, and the index in out of each line.
func layerStatuses(out []string) map[string][]string {
	m := map[string][]string{}
	for _, l := range out {
		id, status, ok := strings.Cut(l, ": ")
		if ok && len(id) == 12 && !strings.Contains(id, " ") {
			m[id] = append(m[id], status)
		}
	}
	return m
}

func indexOfPrefix(out []string, prefix string) int {
	return slices.IndexFunc(out, func(l string) bool { return strings.HasPrefix(l, prefix) })
}

func countPrefix(out []string, prefix string) int {
	n := 0
	for _, l := range out {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

// TestPullShowsProgressAndStatus pulls a three-layer image and checks the
// lines a user sees, in order.
func TestPullShowsProgressAndStatus(t *testing.T) {
	e := newImageEnv(t)
	built := e.push("team/app", "v1", threeLayers(10))
	ref := e.ref("team/app", "v1")

	out := lines(e.docker("pull", ref))
	if out[0] != "v1: Pulling from team/app" {
		t.Fatalf("first line %q, want %q\n%s", out[0], "v1: Pulling from team/app", strings.Join(out, "\n"))
	}
	statuses := layerStatuses(out)
	for _, l := range built.Layers {
		got := statuses[shortID(l.Digest)]
		// Without a terminal the CLI hides progress-bar lines (Downloading,
		// Extracting); the JSON stream test checks those.
		want := []string{"Pulling fs layer", "Download complete", "Pull complete"}
		if !isSubsequence(want, got) {
			t.Errorf("layer %s: statuses %q, want in order %q", shortID(l.Digest), got, want)
		}
		if got[0] != "Pulling fs layer" || got[len(got)-1] != "Pull complete" {
			t.Errorf("layer %s: statuses %q must start with Pulling fs layer and end with Pull complete", shortID(l.Digest), got)
		}
	}
	if countPrefix(out, "Digest: ") != 1 || countPrefix(out, "Status: ") != 1 {
		t.Fatalf("want exactly one Digest: and one Status: line\n%s", strings.Join(out, "\n"))
	}
	digestLine := indexOfPrefix(out, "Digest: ")
	if out[digestLine] != "Digest: "+built.Digest.String() {
		t.Errorf("digest line %q, want %s", out[digestLine], built.Digest)
	}
	for i, l := range out {
		if _, ok := layerStatuses([]string{l})[strings.SplitN(l, ":", 2)[0]]; ok && i > digestLine {
			t.Errorf("layer line %q after the Digest: line", l)
		}
	}
	if want := "Status: Downloaded newer image for " + ref; out[digestLine+1] != want {
		t.Errorf("status line %q, want %q", out[digestLine+1], want)
	}
	if out[len(out)-1] != ref {
		t.Errorf("last line %q, want the full reference %q", out[len(out)-1], ref)
	}

	inspect := e.inspect(ref)
	if inspect["Id"] != built.Digest.String() {
		t.Errorf("image ID %v, want the manifest digest %s", inspect["Id"], built.Digest)
	}
	layers := inspect["RootFS"].(map[string]any)["Layers"].([]any)
	if len(layers) != 3 || layers[0] != built.Layers[0].DiffID.String() {
		t.Errorf("RootFS layers %v, want the diff IDs %v", layers, built.DiffIDs())
	}
}

// isSubsequence reports whether want appears in got in order (got may hold
// more, e.g. several Downloading updates).
func isSubsequence(want, got []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

// TestPullIDStability re-pulls an image: no layer lines, "up to date", same
// ID (moby's TestPullIDStability).
func TestPullIDStability(t *testing.T) {
	e := newImageEnv(t)
	built := e.pushPull("team/stable", "latest", threeLayers(20))
	ref := e.ref("team/stable", "latest")
	out := lines(e.docker("pull", ref))
	if len(layerStatuses(out)) != 0 {
		t.Errorf("a re-pull must print no layer lines:\n%s", strings.Join(out, "\n"))
	}
	if !slices.Contains(out, "Status: Image is up to date for "+ref) {
		t.Errorf("missing up-to-date status:\n%s", strings.Join(out, "\n"))
	}
	if id := e.inspect(ref)["Id"]; id != built.Digest.String() {
		t.Errorf("ID changed to %v", id)
	}
}

// TestPullAlreadyExists pulls an image sharing layers with one present.
func TestPullAlreadyExists(t *testing.T) {
	e := newImageEnv(t)
	base := threeLayers(30)
	e.pushPull("team/base", "v1", base)
	next := base
	next.Layers = append(slices.Clone(base.Layers), fixtures.Layer{Seed: 99, Size: 64 << 10})
	built := e.push("team/base", "v2", next)

	out := lines(e.docker("pull", e.ref("team/base", "v2")))
	statuses := layerStatuses(out)
	for i, l := range built.Layers {
		got := statuses[shortID(l.Digest)]
		if i < 3 {
			if !slices.Equal(got, []string{"Already exists"}) {
				t.Errorf("shared layer %d: %q, want [Already exists]", i, got)
			}
		} else if len(got) == 0 || got[0] != "Pulling fs layer" || got[len(got)-1] != "Pull complete" {
			t.Errorf("new layer: %q", got)
		}
	}
	e.reg.ResetRequests()
}

// TestPullImageWithAliases pulls one of two tags of the same image and
// checks that only that image's blobs were fetched, and that the alias
// then needs no blob at all (moby's TestPullImageWithAliases).
func TestPullImageWithAliases(t *testing.T) {
	e := newImageEnv(t)
	img := threeLayers(40)
	built := e.push("team/alias", "one", img)
	e.push("team/alias", "two", img)
	other := e.push("team/alias", "other", threeLayers(50))
	e.reg.ResetRequests()

	e.docker("pull", e.ref("team/alias", "one"))
	fetched := e.reg.FetchedBlobs("team/alias")
	for _, l := range other.Layers {
		if slices.Contains(fetched, l.Digest) {
			t.Errorf("fetched %s, a layer of another tag", l.Digest)
		}
	}
	for _, l := range built.Layers {
		if !slices.Contains(fetched, l.Digest) {
			t.Errorf("did not fetch layer %s", l.Digest)
		}
	}
	e.reg.ResetRequests()
	out := lines(e.docker("pull", e.ref("team/alias", "two")))
	if n := len(e.reg.FetchedBlobs("team/alias")); n != 0 {
		t.Errorf("pulling the alias fetched %d blobs, want 0", n)
	}
	if len(layerStatuses(out)) != 0 {
		t.Errorf("alias pull printed layer lines:\n%s", strings.Join(out, "\n"))
	}
	tags := e.inspect(e.ref("team/alias", "two"))["RepoTags"].([]any)
	if len(tags) != 2 {
		t.Errorf("RepoTags %v, want both aliases", tags)
	}
}

// TestPullByDigest pulls repo@digest (moby's TestPullByDigest).
func TestPullByDigest(t *testing.T) {
	e := newImageEnv(t)
	built := e.push("team/bydigest", "latest", threeLayers(60))
	ref := e.reg.Host() + "/team/bydigest@" + built.Digest.String()
	out := lines(e.docker("pull", ref))
	if out[0] != ref+": Pulling from team/bydigest" {
		t.Errorf("first line %q", out[0])
	}
	if !slices.Contains(out, "Digest: "+built.Digest.String()) || !slices.Contains(out, "Status: Downloaded newer image for "+ref) {
		t.Errorf("unexpected output:\n%s", strings.Join(out, "\n"))
	}
	digests := e.inspect(ref)["RepoDigests"].([]any)
	if !slices.Contains(digests, any(ref)) {
		t.Errorf("RepoDigests %v, want %s", digests, ref)
	}
	// A digest that is not in the repository is not found.
	missing := e.reg.Host() + "/team/bydigest@" + digest.FromString("nothing").String()
	if msg := e.dockerFail("pull", missing); !strings.Contains(msg, "not found") {
		t.Errorf("missing digest: %s", msg)
	}
}

// TestPullAllTags pulls every tag of a repository with -a.
func TestPullAllTags(t *testing.T) {
	e := newImageEnv(t)
	for i, tag := range []string{"a", "b", "c"} {
		e.push("team/all", tag, smallImage(int64(70+i)))
	}
	e.push("team/unrelated", "a", smallImage(80))
	out := e.docker("pull", "-a", e.reg.Host()+"/team/all")
	for _, tag := range []string{"a", "b", "c"} {
		if !strings.Contains(out, tag+": Pulling from team/all") {
			t.Errorf("no Pulling from line for %s:\n%s", tag, out)
		}
	}
	listed := e.docker("images", "--format", "{{.Repository}}:{{.Tag}}")
	for _, tag := range []string{"a", "b", "c"} {
		if !strings.Contains(listed, e.reg.Host()+"/team/all:"+tag) {
			t.Errorf("tag %s not listed:\n%s", tag, listed)
		}
	}
	if strings.Contains(listed, "unrelated") {
		t.Errorf("pulled another repository:\n%s", listed)
	}
}

// TestPullNoLayers pulls an image without layers (moby's TestPullNoLayers).
func TestPullNoLayers(t *testing.T) {
	e := newImageEnv(t)
	built := e.push("team/empty", "latest", fixtures.Image{Cmd: []string{"true"}})
	out := e.docker("pull", e.ref("team/empty", "latest"))
	if !strings.Contains(out, "Digest: "+built.Digest.String()) {
		t.Errorf("output:\n%s", out)
	}
	if layers, _ := e.inspect(e.ref("team/empty", "latest"))["RootFS"].(map[string]any)["Layers"].([]any); len(layers) != 0 {
		t.Errorf("layers %v", layers)
	}
}

// TestPullErrors checks the messages of common mistakes.
func TestPullErrors(t *testing.T) {
	e := newImageEnv(t)
	e.push("team/exists", "v1", smallImage(90))
	cases := map[string]string{
		e.ref("team/exists", "nope"):   fmt.Sprintf(`failed to resolve reference "%s": %s: not found`, e.ref("team/exists", "nope"), e.ref("team/exists", "nope")),
		e.ref("team/missing", "v1"):    "not found",
		"scratch":                      "'scratch' is a reserved name",
		"127.0.0.1:1/team/unreachable": "connection refused",
	}
	for ref, want := range cases {
		if msg := e.dockerFail("pull", ref); !strings.Contains(msg, want) {
			t.Errorf("pull %s: %q does not contain %q", ref, msg, want)
		}
	}
}
