package integrationcli

import (
	"maps"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// TestLoadPlatformSavedWithoutItsContent loads what `docker save` writes
// for a multi-platform image whose second platform was not all present
// (its manifest had arrived, its layer not): containerd's exporter, as
// dockerd's, writes that platform's manifest and none of its blobs. The
// load succeeds, that platform counts as absent, and the image is whole.
func TestLoadPlatformSavedWithoutItsContent(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	idx := e.pushIndex("team/partial", "v1", fixtures.Index{Manifests: fixtures.Platforms("linux/amd64", "linux/arm64")})
	ref := e.ref("team/partial", "v1")
	e.docker("pull", "-q", ref)
	file := filepath.Join(t.TempDir(), "save.tar")
	e.docker("save", "-o", file, ref)
	arm := idx.Entries[1].Image
	entries := append(readTar(t, readFileT(t, file)), tarEntry{Name: blobPath(arm.Digest), Data: arm.Manifest})
	archive := writeFile(t, "partial.tar", writeTar(t, entries))
	e.clearImages()

	out := e.docker("load", "-i", archive)
	if !strings.Contains(out, "Loaded image: "+ref) {
		t.Errorf("load said %q, want it to load %s", out, ref)
	}
	e.checkWhole(strings.TrimSpace(e.docker("image", "inspect", "-f", "{{.Id}}", ref)))
	if msg := e.dockerFail("image", "save", "--platform", "linux/arm64", "-o", filepath.Join(t.TempDir(), "arm.tar"), ref); !strings.Contains(msg, "linux/arm64") {
		t.Errorf("saving the platform that came without content: %q, want it named as missing", msg)
	}
}

// TestSaveIndexWithoutHostPlatformBesideHostImage: one `docker save` of an
// index pulled for another platform only and of an image of the host's
// platform. manifest.json names each image's own present manifest (for
// the index: the other platform's, not the host's, which it lacks though
// the other image has that platform); every file it names is in the
// archive, skopeo reads both images from it, and `docker load` brings both
// back whole.
func TestSaveIndexWithoutHostPlatformBesideHostImage(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	other := "linux/arm64"
	if runtime.GOARCH == "arm64" {
		other = "linux/amd64"
	}
	idx := e.pushIndex("team/elsewhere", "v1", fixtures.Index{Manifests: fixtures.Platforms("linux/"+runtime.GOARCH, other)})
	plain := e.pushPull("team/here", "v1", fixtures.Image{Layers: []fixtures.Layer{{Seed: 960}}})
	multi, host := e.ref("team/elsewhere", "v1"), e.ref("team/here", "v1")
	e.docker("pull", "-q", "--platform", other, multi)
	file := filepath.Join(t.TempDir(), "save.tar")
	e.docker("save", "-o", file, multi, host)

	entries := readTar(t, readFileT(t, file))
	present := map[string]bool{}
	for _, en := range entries {
		present[en.Name] = true
	}
	var mfs []dockerManifest
	decodeJSON(t, tarFile(t, entries, "manifest.json"), &mfs)
	configs := map[string]string{}
	for _, m := range mfs {
		for _, f := range append([]string{m.Config}, m.Layers...) {
			if !present[f] {
				t.Errorf("manifest.json entry %v names %s, which the archive lacks", m.RepoTags, f)
			}
		}
		for _, tag := range m.RepoTags {
			configs[tag] = m.Config
		}
	}
	want := map[string]string{
		multi: blobPath(idx.Entries[1].Image.ConfigDigest),
		host:  blobPath(plain.ConfigDigest),
	}
	if !maps.Equal(configs, want) {
		t.Errorf("manifest.json configs by tag %v, want %v", configs, want)
	}
	for _, name := range []string{multi, host} {
		skopeo(t, "inspect", "docker-archive:"+file+":"+name)
	}

	e.clearImages()
	out := e.docker("load", "-i", file)
	for _, name := range []string{multi, host} {
		if !strings.Contains(out, "Loaded image: "+name) {
			t.Errorf("load said %q, want it to load %s", out, name)
		}
		e.checkWhole(strings.TrimSpace(e.docker("image", "inspect", "-f", "{{.Id}}", name)))
	}
}
