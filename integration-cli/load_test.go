package integrationcli

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// diffIDsOf is the RootFS of an image as inspect shows it.
func (e *imageEnv) diffIDsOf(name string) []string {
	e.t.Helper()
	var layers []string
	decodeJSON(e.t, []byte(e.docker("image", "inspect", "-f", "{{json .RootFS.Layers}}", name)), &layers)
	return layers
}

func digestStrings(ds []digest.Digest) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.String()
	}
	return out
}

// TestLoadSkopeoArchives loads what skopeo writes from the test registry:
// a docker-archive and an OCI archive. Both load with their names and the
// pushed layers, unpacked.
func TestLoadSkopeoArchives(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	b := e.push("tools/x", "1.0", threeLayers(700))
	src := "docker://" + e.ref("tools/x", "1.0")
	dir := t.TempDir()
	dockerArchive := filepath.Join(dir, "a.tar")
	ociArchive := filepath.Join(dir, "b.tar")
	skopeo(t, "copy", "--src-tls-verify=false", src, "docker-archive:"+dockerArchive+":skopeo/x:tag")
	skopeo(t, "copy", "--src-tls-verify=false", src, "oci-archive:"+ociArchive+":oci/x:tag")

	for _, tc := range []struct{ path, name string }{
		{dockerArchive, "skopeo/x:tag"},
		{ociArchive, "oci/x:tag"},
	} {
		out := e.docker("load", "-i", tc.path)
		if got := lines(out); !slices.Equal(got, []string{"Loaded image: " + tc.name}) {
			t.Errorf("load %s printed %q", filepath.Base(tc.path), got)
		}
		if got := e.diffIDsOf(tc.name); !slices.Equal(got, digestStrings(b.DiffIDs())) {
			t.Errorf("%s RootFS %v, want %v", tc.name, got, b.DiffIDs())
		}
	}
	if n := len(e.snapshotUsage()); n != len(b.Layers) {
		t.Errorf("%d snapshots, want %d (both archives share the layers)", n, len(b.Layers))
	}
}

// oldLayoutArchive renders img as `docker save` of dockerd ≤ 24 wrote it:
// <v1 id>/layer.tar (uncompressed), json and VERSION per layer, the config
// as <id>.json, manifest.json and repositories.
func oldLayoutArchive(t *testing.T, img fixtures.Image, repo, tag string) ([]byte, *fixtures.BuiltImage) {
	t.Helper()
	for i := range img.Layers {
		img.Layers[i].Compression = fixtures.Uncompressed
	}
	b, err := img.Build()
	if err != nil {
		t.Fatal(err)
	}
	var entries []tarEntry
	var layerPaths []string
	parent := ""
	for i, l := range b.Layers {
		v1 := digest.FromString(parent + l.DiffID.String()).Encoded()
		meta, _ := json.Marshal(map[string]any{"id": v1, "parent": parent, "created": "2024-01-01T00:00:00Z"})
		entries = append(entries,
			tarEntry{Name: v1 + "/", Type: '5', Mode: 0o755},
			tarEntry{Name: v1 + "/VERSION", Data: []byte("1.0")},
			tarEntry{Name: v1 + "/json", Data: meta},
			tarEntry{Name: v1 + "/layer.tar", Data: b.Layers[i].Blob},
		)
		layerPaths = append(layerPaths, v1+"/layer.tar")
		parent = v1
	}
	cfgName := b.ConfigDigest.Encoded() + ".json"
	mf, _ := json.Marshal([]dockerManifest{{Config: cfgName, RepoTags: []string{repo + ":" + tag}, Layers: layerPaths}})
	repos, _ := json.Marshal(map[string]map[string]string{repo: {tag: parent}})
	entries = append(entries,
		tarEntry{Name: cfgName, Data: b.Config},
		tarEntry{Name: "manifest.json", Data: mf},
		tarEntry{Name: "repositories", Data: repos},
	)
	return writeTar(t, entries), b
}

// TestLoadOldLayoutAndCompressed loads a docker ≤ 24 archive plain, gzip-,
// zstd- and xz-compressed (told apart by magic number, as dockerd).
func TestLoadOldLayoutAndCompressed(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	plain, b := oldLayoutArchive(t, threeLayers(710), "legacy/app", "v1")
	for _, tc := range []struct {
		kind string
		data []byte
	}{
		{"plain", plain},
		{"gzip", fixtures.GzipBytes(t, plain)},
		{"zstd", fixtures.ZstdBytes(t, plain)},
		{"xz", fixtures.XzBytes(t, plain)},
	} {
		out := e.docker("load", "-i", writeFile(t, "old."+tc.kind, tc.data))
		if got := lines(out); !slices.Equal(got, []string{"Loaded image: legacy/app:v1"}) {
			t.Errorf("%s: load printed %q", tc.kind, got)
		}
		if got := e.diffIDsOf("legacy/app:v1"); !slices.Equal(got, digestStrings(b.DiffIDs())) {
			t.Errorf("%s: RootFS %v, want %v", tc.kind, got, b.DiffIDs())
		}
	}
	if got := lines(e.docker("images", "-q", "--no-trunc")); len(got) != 1 {
		t.Errorf("images after loading the same archive thrice: %v, want one", got)
	}
	if n := len(e.snapshotUsage()); n != len(b.Layers) {
		t.Errorf("%d snapshots, want %d", n, len(b.Layers))
	}
}

// TestLoadMovesTag loads an archive whose name already points at another
// image: the name moves, the old image stays dangling, and the load says so
// as the graphdriver did.
func TestLoadMovesTag(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	old := e.pushPull("moves/app", "1", smallImage(720))
	name := e.ref("moves/app", "1")
	archive, _ := oldLayoutArchive(t, smallImage(721), e.reg.Host()+"/moves/app", "1")

	out := e.docker("load", "-i", writeFile(t, "new.tar", archive))
	want := []string{
		"The image " + name + " already exists, renaming the old one with ID " + old.Digest.String() + " to empty string",
		"Loaded image: " + name,
	}
	if got := lines(out); !slices.Equal(got, want) {
		t.Errorf("load printed %q, want %q", got, want)
	}
	if id := e.imageIDs()[name]; id == old.Digest.String() || id == "" {
		t.Errorf("%s = %q after load, want the loaded image", name, id)
	}
	if got := lines(e.docker("images", "-q", "-f", "dangling=true")); !slices.Equal(got, []string{shortID(old.Digest)}) {
		t.Errorf("dangling images %v, want the old image %s", got, shortID(old.Digest))
	}
	// Loading the same archive again changes nothing and says nothing of it.
	if got := lines(e.docker("load", "-i", writeFile(t, "again.tar", archive))); !slices.Equal(got, want[1:]) {
		t.Errorf("second load printed %q, want %q", got, want[1:])
	}
}

// TestLoadUntagged loads an image saved by ID: it has no name, so it comes
// back by ID only and dangling.
func TestLoadUntagged(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	b := e.pushPull("untagged/app", "1", smallImage(730))
	archive := e.cli.MustRun("save", b.Digest.Encoded()[:12]).Stdout
	e.clearImages()
	out := e.cli.RunWithStdin(strings.NewReader(archive), "load")
	if got := lines(out.Stdout); out.ExitCode != 0 || !slices.Equal(got, []string{"Loaded image ID: " + b.Digest.String()}) {
		t.Fatalf("load: exit %d, printed %q %s", out.ExitCode, got, out.Stderr)
	}
	if got := lines(e.docker("images", "-q", "--no-trunc", "-f", "dangling=true")); !slices.Equal(got, []string{b.Digest.String()}) {
		t.Errorf("dangling images %v, want %s", got, b.Digest)
	}
}

// multiPlatformArchive renders idx as buildx's `--output type=oci` does: an
// OCI layout whose index.json names a multi-platform index (with
// attestations). Platforms in skip are listed but their content left out.
func multiPlatformArchive(t *testing.T, idx *fixtures.BuiltIndex, name string, skip ...string) []byte {
	t.Helper()
	desc := idx.Descriptor()
	desc.Annotations = map[string]string{"io.containerd.image.name": name, ocispec.AnnotationRefName: "1"}
	index, _ := json.Marshal(ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{desc}})
	entries := []tarEntry{{Name: blobPath(idx.Digest), Data: idx.Manifest}}
	seen := map[string]bool{}
	for _, e := range idx.Entries {
		if e.Image == nil || (e.Descriptor.Platform != nil && slices.Contains(skip, fixtures.PlatformString(*e.Descriptor.Platform))) {
			continue
		}
		b := e.Image
		for _, en := range []tarEntry{{Name: blobPath(b.Digest), Data: b.Manifest}, {Name: blobPath(b.ConfigDigest), Data: b.Config}} {
			if !seen[en.Name] {
				seen[en.Name] = true
				entries = append(entries, en)
			}
		}
		for _, l := range b.Layers {
			if !seen[blobPath(l.Digest)] {
				seen[blobPath(l.Digest)] = true
				entries = append(entries, tarEntry{Name: blobPath(l.Digest), Data: l.Blob})
			}
		}
	}
	entries = append(entries,
		tarEntry{Name: "index.json", Data: index},
		tarEntry{Name: "oci-layout", Data: []byte(`{"imageLayoutVersion":"1.0.0"}`)})
	return writeTar(t, entries)
}

// TestLoadMultiPlatformOCI loads a two-platform OCI archive with
// attestations: whole (the host's platform unpacked, the index is the ID),
// for one platform (--platform), and with a platform's content missing
// (tolerated unless that platform is asked for).
func TestLoadMultiPlatformOCI(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	idx, err := fixtures.Index{Format: fixtures.OCI, Manifests: fixtures.Platforms("linux/amd64", "linux/arm64"), Attestations: true}.Build()
	if err != nil {
		t.Fatal(err)
	}
	full := writeFile(t, "full.tar", multiPlatformArchive(t, idx, "docker.io/library/multi:1"))
	if got := lines(e.docker("load", "-i", full)); !slices.Equal(got, []string{"Loaded image: multi:1"}) {
		t.Errorf("load printed %q", got)
	}
	if got := strings.TrimSpace(e.docker("image", "inspect", "-f", "{{.Id}} {{.Architecture}}", "multi:1")); got != idx.Digest.String()+" amd64" {
		t.Errorf("inspect multi:1 = %q, want the index and amd64", got)
	}
	if n := len(e.snapshotUsage()); n != 1 {
		t.Errorf("%d snapshots, want the amd64 layer only", n)
	}

	e.clearImages()
	if got := lines(e.docker("load", "--platform", "linux/arm64", "-i", full)); !slices.Equal(got, []string{"Loaded image: multi:1"}) {
		t.Errorf("load --platform printed %q", got)
	}
	if got := strings.TrimSpace(e.docker("image", "inspect", "-f", "{{.Architecture}}", "multi:1")); got != "arm64" {
		t.Errorf("after load --platform linux/arm64 the image is %q", got)
	}

	partial := writeFile(t, "partial.tar", multiPlatformArchive(t, idx, "docker.io/library/multi:1", "linux/arm64"))
	e.clearImages()
	msg := e.dockerFail("load", "--platform", "linux/arm64", "-i", partial)
	if !strings.Contains(msg, "requested platform(s) ([linux/arm64]) found, but some content is missing") {
		t.Errorf("load --platform of a missing platform: %q", msg)
	}
	if got := lines(e.docker("images", "-aq")); len(got) != 0 {
		t.Errorf("images after the refused load: %v", got)
	}
	if got := lines(e.docker("load", "-i", partial)); !slices.Equal(got, []string{"Loaded image: multi:1"}) {
		t.Errorf("load of the partial archive printed %q", got)
	}
}
