package integrationcli

import (
	"archive/tar"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// sharedBase builds an image of two layers whose first (the base) is the
// same for every top seed.
func sharedBase(top int64) fixtures.Image {
	return fixtures.Image{
		Layers: []fixtures.Layer{{Seed: 500, Size: 96 << 10}, {Seed: top, Size: 32 << 10}},
		Cmd:    []string{"sh"},
	}
}

// TestSaveLoadRoundTrip pipes `docker save` into `docker load` on a cleared
// store: the same images come back with the same IDs and tags, unpacked.
func TestSaveLoadRoundTrip(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	a := e.pushPull("rt/a", "1", threeLayers(600))
	b := e.pushPull("rt/b", "1", smallImage(610))
	e.docker("tag", e.ref("rt/a", "1"), "rt-a:copy")
	before := e.imageIDs()

	archive := e.cli.MustRun("save", e.ref("rt/a", "1"), "rt-a:copy", e.ref("rt/b", "1")).Stdout
	e.clearImages()
	res := e.cli.MustRun("load", "-i", writeFile(t, "rt.tar", []byte(archive)))
	got := lines(res.Stdout)
	slices.Sort(got)
	want := []string{
		"Loaded image: " + e.ref("rt/a", "1"),
		"Loaded image: " + e.ref("rt/b", "1"),
		"Loaded image: rt-a:copy",
	}
	if !slices.Equal(got, want) {
		t.Errorf("docker load printed %q, want %q", got, want)
	}
	after := e.imageIDs()
	if len(after) != len(before) {
		t.Errorf("images after load %v, before save %v", after, before)
	}
	for name, id := range before {
		if after[name] != id {
			t.Errorf("%s: ID %s after load, %s before save", name, after[name], id)
		}
	}
	if before[e.ref("rt/a", "1")] != a.Digest.String() || before[e.ref("rt/b", "1")] != b.Digest.String() {
		t.Errorf("IDs before save %v, want the pushed digests", before)
	}
	// Unpacked as if pulled: one snapshot per layer of the host platform.
	if n := len(e.snapshotUsage()); n != len(a.Layers)+len(b.Layers) {
		t.Errorf("%d snapshots after load, want %d", n, len(a.Layers)+len(b.Layers))
	}
	// Through a pipe, as `docker save | docker load`; each image has its
	// save and load event, by ID.
	start := time.Now()
	time.Sleep(10 * time.Millisecond) // the first load's events are before start
	archive = e.cli.MustRun("save", "rt-a:copy").Stdout
	e.clearImages()
	out := e.cli.RunWithStdin(strings.NewReader(archive), "load")
	end := time.Now()
	events := lines(e.docker("events", "--filter", "event=save", "--filter", "event=load",
		"--since", strconv.FormatFloat(float64(start.UnixNano())/1e9, 'f', 6, 64),
		"--until", strconv.FormatFloat(float64(end.UnixNano())/1e9, 'f', 6, 64),
		"--format", "{{.Action}} {{.Actor.ID}} {{index .Actor.Attributes \"name\"}}"))
	id := a.Digest.String()
	if !slices.Equal(events, []string{"save " + id + " " + id, "load " + id + " " + id}) {
		t.Errorf("events %q, want save and load of %s", events, id)
	}
	if out.ExitCode != 0 || !strings.Contains(out.Stdout, "Loaded image: rt-a:copy") {
		t.Fatalf("docker load from stdin: exit %d\n%s%s", out.ExitCode, out.Stdout, out.Stderr)
	}
	if id := e.imageIDs()["rt-a:copy"]; id != a.Digest.String() {
		t.Errorf("rt-a:copy after piped load = %s, want %s", id, a.Digest)
	}
}

// TestSaveArchiveLayout saves two images sharing a base layer with -o and
// reads the archive: an OCI layout with Docker's manifest.json, every blob
// once, names kept; skopeo reads it back with the pushed digests.
func TestSaveArchiveLayout(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	one := e.pushPull("shared/one", "v1", sharedBase(501))
	two := e.pushPull("shared/two", "v1", sharedBase(502))
	path := filepath.Join(t.TempDir(), "two.tar")
	e.docker("save", "-o", path, e.ref("shared/one", "v1"), e.ref("shared/two", "v1"))

	entries := readTar(t, readFileT(t, path))
	var names []string
	count := map[string]int{}
	for _, en := range entries {
		names = append(names, en.Name)
		count[en.Name]++
		if strings.HasPrefix(en.Name, "blobs/sha256/") && en.Type == tar.TypeReg && en.Mode != 0o444 {
			t.Errorf("%s has mode %o, want 0444", en.Name, en.Mode)
		}
	}
	if !slices.IsSorted(names) {
		t.Errorf("entries not sorted: %q", names)
	}
	base := blobPath(one.Layers[0].Digest)
	if one.Layers[0].Digest != two.Layers[0].Digest {
		t.Fatal("fixture: the base layers differ")
	}
	if count[base] != 1 {
		t.Errorf("shared base layer written %d times, want once", count[base])
	}
	for _, b := range []*fixtures.BuiltImage{one, two} {
		for _, p := range []string{blobPath(b.Digest), blobPath(b.ConfigDigest), blobPath(b.Layers[1].Digest)} {
			if count[p] != 1 {
				t.Errorf("%s written %d times, want once", p, count[p])
			}
		}
	}
	if got := string(tarFile(t, entries, "oci-layout")); got != `{"imageLayoutVersion":"1.0.0"}` {
		t.Errorf("oci-layout = %s", got)
	}
	var idx ocispec.Index
	decodeJSON(t, tarFile(t, entries, "index.json"), &idx)
	gotNames := map[string]string{}
	for _, m := range idx.Manifests {
		gotNames[m.Annotations["io.containerd.image.name"]] = m.Digest.String()
	}
	wantNames := map[string]string{
		e.ref("shared/one", "v1"): one.Digest.String(),
		e.ref("shared/two", "v1"): two.Digest.String(),
	}
	if !maps.Equal(gotNames, wantNames) {
		t.Errorf("index.json names %v, want %v", gotNames, wantNames)
	}
	var mfs []dockerManifest
	decodeJSON(t, tarFile(t, entries, "manifest.json"), &mfs)
	tags := map[string]dockerManifest{}
	for _, m := range mfs {
		for _, tag := range m.RepoTags {
			tags[tag] = m
		}
	}
	if m := tags[e.ref("shared/one", "v1")]; m.Config != blobPath(one.ConfigDigest) || len(m.Layers) != 2 || m.Layers[0] != base {
		t.Errorf("manifest.json entry of one = %+v", m)
	}

	// skopeo's docker-archive transport reads it: the same config and
	// layers (which it hands out uncompressed) come out.
	dir := filepath.Join(t.TempDir(), "dir")
	skopeo(t, "copy", "docker-archive:"+path+":"+e.ref("shared/two", "v1"), "dir:"+dir)
	info := skopeo(t, "inspect", "--raw", "dir:"+dir)
	for _, d := range []string{two.ConfigDigest.String(), two.Layers[0].DiffID.String(), two.Layers[1].DiffID.String()} {
		if !strings.Contains(info, d) {
			t.Errorf("skopeo's copy of two lacks %s:\n%s", d, info)
		}
	}
	inspect := skopeo(t, "inspect", "docker-archive:"+path+":"+e.ref("shared/one", "v1"))
	if !strings.Contains(inspect, one.Layers[1].DiffID.String()) {
		t.Errorf("skopeo inspect of one:\n%s\nwant layer %s", inspect, one.Layers[1].DiffID)
	}
}

// TestSaveNames: a bare repository saves every tag of it; a missing image
// is a plain 404 before any byte.
func TestSaveNames(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	b := e.pushPull("err/x", "1", smallImage(620))
	e.docker("tag", e.ref("err/x", "1"), "names/x:1")
	e.docker("tag", e.ref("err/x", "1"), "names/x:2")
	e.docker("tag", e.ref("err/x", "1"), "names/other:1")
	path := filepath.Join(t.TempDir(), "x.tar")
	e.docker("save", "-o", path, "names/x")
	var mfs []dockerManifest
	decodeJSON(t, tarFile(t, readTar(t, readFileT(t, path)), "manifest.json"), &mfs)
	if len(mfs) != 1 || !slices.Equal(mfs[0].RepoTags, []string{"names/x:1", "names/x:2"}) || mfs[0].Config != blobPath(b.ConfigDigest) {
		t.Errorf("manifest.json of a repository save = %+v, want both tags of names/x", mfs)
	}

	msg := e.dockerFail("save", "-o", path, e.ref("err/x", "1"), "nope:2")
	if !strings.Contains(msg, "No such image: nope:2") {
		t.Errorf("save of a missing image: %q", msg)
	}
	if msg := e.dockerFail("save", "-o", path, "nope"); !strings.Contains(msg, "No such image: nope:latest") {
		t.Errorf("save of a missing repository: %q", msg)
	}
}
