package integrationcli

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// platformImage is a one-layer image for platform p, with a label naming
// which entry of the index it is, so tests can tell entries apart.
func platformImage(p string, which string, seed int64) *fixtures.Image {
	img := smallImage(seed)
	img.Platform = p
	img.Labels = map[string]string{"entry": which}
	return &img
}

// pulledEntry pulls ref for platform and returns the "entry" label of the
// index entry whose layer was fetched from the registry, and the
// architecture and variant `docker image inspect` reports.
func (e *imageEnv) pulledEntry(ref, platform string, idx *fixtures.BuiltIndex, inspectPlatform bool) (entry, arch, variant string) {
	e.t.Helper()
	repo := strings.TrimPrefix(strings.Split(ref, ":latest")[0], e.reg.Host()+"/")
	e.reg.ResetRequests()
	e.docker("pull", "-q", "--platform", platform, ref)
	fetched := e.reg.FetchedBlobs(repo)
	var found []string
	for _, img := range builtImages(idx) {
		if len(img.Layers) > 0 && slices.Contains(fetched, img.Layers[0].Digest) {
			var cfg struct {
				Config struct{ Labels map[string]string }
			}
			if err := json.Unmarshal(img.Config, &cfg); err != nil {
				e.t.Fatal(err)
			}
			found = append(found, cfg.Config.Labels["entry"])
		}
	}
	if len(found) != 1 {
		e.t.Fatalf("pull --platform %s fetched the layers of %d entries (%v), want exactly one", platform, len(found), found)
	}
	args := []string{"image", "inspect", "--format", "{{.Architecture}} {{.Variant}}", ref}
	if inspectPlatform {
		args = append(args[:2], append([]string{"--platform", platform}, args[2:]...)...)
	}
	f := strings.Fields(e.docker(args...))
	for len(f) < 2 {
		f = append(f, "")
	}
	return found[0], f[0], f[1]
}

// builtImages lists every image of an index, nested indexes included.
func builtImages(idx *fixtures.BuiltIndex) []*fixtures.BuiltImage {
	var out []*fixtures.BuiltImage
	for _, en := range idx.Entries {
		if en.Image != nil {
			out = append(out, en.Image)
		}
		if en.Index != nil {
			out = append(out, builtImages(en.Index)...)
		}
	}
	return out
}

// TestPullPlatformSelection pulls from indexes laid out to exercise each
// rule of containerd's resolution: the most specific match wins, a
// descriptor without platform is allowed but ranks last, unknown media types
// are skipped, nested indexes are searched, and an inner index without a
// match is skipped.
func TestPullPlatformSelection(t *testing.T) {
	e := newImageEnv(t)

	// arm/v7 before arm/v6 before a descriptor without platform.
	armIdx := e.pushIndex("plat/arm", "latest", fixtures.Index{Manifests: []fixtures.Entry{
		{Image: platformImage("linux/arm/v7", "noplatform", 1), NoPlatform: true},
		{Image: platformImage("linux/arm/v6", "v6", 2)},
		{Image: platformImage("linux/arm/v7", "v7", 3)},
		{Image: platformImage("linux/amd64", "amd64", 4)},
	}})
	ref := e.ref("plat/arm", "latest")
	if entry, arch, variant := e.pulledEntry(ref, "linux/arm/v7", armIdx, false); entry != "v7" || arch != "arm" || variant != "v7" {
		t.Errorf("linux/arm/v7 selected %s (%s/%s), want v7", entry, arch, variant)
	}

	// Without v7, v6 beats the descriptor without platform.
	v6Idx := e.pushIndex("plat/armv6", "latest", fixtures.Index{Manifests: []fixtures.Entry{
		{Image: platformImage("linux/arm/v7", "noplatform", 5), NoPlatform: true},
		{Image: platformImage("linux/arm/v6", "v6", 6)},
	}})
	if entry, _, variant := e.pulledEntry(e.ref("plat/armv6", "latest"), "linux/arm/v7", v6Idx, false); entry != "v6" || variant != "v6" {
		t.Errorf("selected %s/%s, want v6", entry, variant)
	}

	// Only a descriptor without platform (its config says arm/v7): allowed.
	noneIdx := e.pushIndex("plat/none", "latest", fixtures.Index{Manifests: []fixtures.Entry{
		{Image: platformImage("linux/arm64", "arm64", 7)},
		{Image: platformImage("linux/arm/v7", "noplatform", 8), NoPlatform: true},
	}})
	if entry, arch, _ := e.pulledEntry(e.ref("plat/none", "latest"), "linux/arm/v7", noneIdx, false); entry != "noplatform" || arch != "arm" {
		t.Errorf("selected %s (%s), want the descriptor without platform", entry, arch)
	}

	// An unknown media type listed first for the platform is skipped.
	unknownIdx := e.pushIndex("plat/unknown", "latest", fixtures.Index{Manifests: []fixtures.Entry{
		fixtures.Unknown("application/vnd.example.unknown+json", "linux/s390x"),
		{Image: platformImage("linux/s390x", "s390x", 9)},
	}})
	if entry, arch, _ := e.pulledEntry(e.ref("plat/unknown", "latest"), "linux/s390x", unknownIdx, true); entry != "s390x" || arch != "s390x" {
		t.Errorf("selected %s (%s), want the real s390x manifest", entry, arch)
	}

	// Nested indexes: the first inner index has no match and is skipped,
	// the second holds the platform.
	nestedIdx := e.pushIndex("plat/nested", "latest", fixtures.Index{Manifests: []fixtures.Entry{
		{Index: &fixtures.Index{Manifests: []fixtures.Entry{{Image: platformImage("linux/ppc64le", "ppc", 10)}}}},
		{Index: &fixtures.Index{Manifests: []fixtures.Entry{
			{Image: platformImage("linux/riscv64", "riscv-inner", 11)},
			{Index: &fixtures.Index{Manifests: []fixtures.Entry{{Image: platformImage("linux/mips64le", "deep", 12)}}}},
		}}},
		{Image: platformImage("linux/amd64", "amd64", 13)},
	}})
	nested := e.ref("plat/nested", "latest")
	if entry, arch, _ := e.pulledEntry(nested, "linux/riscv64", nestedIdx, true); entry != "riscv-inner" || arch != "riscv64" {
		t.Errorf("nested: selected %s (%s), want riscv-inner", entry, arch)
	}
	if entry, _, _ := e.pulledEntry(nested, "linux/mips64le", nestedIdx, true); entry != "deep" {
		t.Errorf("nested twice: selected %s, want deep", entry)
	}
	if entry, _, _ := e.pulledEntry(nested, "linux/amd64", nestedIdx, true); entry != "amd64" {
		t.Errorf("selected %s, want amd64", entry)
	}

	// The image ID is the index digest, whatever platform was pulled.
	if id := e.docker("image", "inspect", "--format", "{{.Id}}", nested); !strings.HasPrefix(id, "sha256:") {
		t.Errorf("ID %q", id)
	}
}

// TestPullPlatformNoMatch asks for a platform the index does not have.
func TestPullPlatformNoMatch(t *testing.T) {
	e := newImageEnv(t)
	e.pushIndex("plat/few", "latest", fixtures.Index{Manifests: fixtures.Platforms("linux/amd64", "linux/arm64")})
	ref := e.ref("plat/few", "latest")
	msg := e.dockerFail("pull", "--platform", "linux/mips64", ref)
	if want := "no matching manifest for linux/mips64 in the manifest list entries: no match for platform in manifest: not found"; !strings.Contains(msg, want) {
		t.Errorf("got %q, want %q", msg, want)
	}
	if res := e.cli.Run("image", "inspect", ref); res.ExitCode == 0 {
		t.Error("a failed pull must not name an image")
	}
	// Attestation manifests (unknown/unknown) never match a real platform.
	e.pushIndex("plat/attested", "latest", fixtures.Index{Manifests: fixtures.Platforms("linux/arm64"), Attestations: true})
	if msg := e.dockerFail("pull", "--platform", "linux/amd64", e.ref("plat/attested", "latest")); !strings.Contains(msg, "no matching manifest for linux/amd64") {
		t.Errorf("got %q", msg)
	}
}
