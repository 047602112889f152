package images

import (
	"testing"

	"github.com/containerd/platforms"
	imagetypes "github.com/moby/moby/api/types/image"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestLoadName(t *testing.T) {
	for _, tc := range []struct {
		annotations map[string]string
		want        string
	}{
		{map[string]string{"io.containerd.image.name": "docker.io/library/foo:1", ocispec.AnnotationRefName: "1"}, "docker.io/library/foo:1"},
		{map[string]string{ocispec.AnnotationRefName: "x:tag"}, "docker.io/library/x:tag"},          // skopeo oci-archive:…:x:tag
		{map[string]string{ocispec.AnnotationRefName: "latest"}, "docker.io/library/latest:latest"}, // as dockerd: the bare tag is the name
		{map[string]string{"io.containerd.image.name": "reg:5000/a/b"}, "reg:5000/a/b:latest"},
		{map[string]string{"io.containerd.image.name": "Not A Name"}, ""},
		{map[string]string{"io.containerd.image.name": "foo@sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}, ""},
		{nil, ""},
	} {
		if got := loadName(tc.annotations); got != tc.want {
			t.Errorf("loadName(%v) = %q, want %q", tc.annotations, got, tc.want)
		}
	}
}

func TestArchiveEntryNames(t *testing.T) {
	for _, bad := range []string{"../x", "/etc/passwd", "a/../../x", ".."} {
		if err := checkEntryName(bad); err == nil {
			t.Errorf("entry %q accepted", bad)
		}
	}
	for _, ok := range []string{"manifest.json", "blobs/sha256/abc", "abc/layer.tar", "./index.json", "a/../b"} {
		if err := checkEntryName(ok); err != nil {
			t.Errorf("entry %q refused: %v", ok, err)
		}
	}
	hex := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	if d := blobDigest("blobs/sha256/" + hex); d.String() != "sha256:"+hex {
		t.Errorf("blobDigest = %q", d)
	}
	for _, name := range []string{"blobs/sha256/short", "abc/layer.tar", "blobs/md5/" + hex, "index.json"} {
		if d := blobDigest(name); d != "" {
			t.Errorf("blobDigest(%q) = %q, want none", name, d)
		}
	}
}

// TestAvailableFirst: manifest.json takes a present manifest over the
// host's absent one, and the host's among present ones.
func TestAvailableFirst(t *testing.T) {
	host := platforms.DefaultSpec()
	other := ocispec.Platform{OS: "linux", Architecture: "s390x"}
	if host.Architecture == "s390x" {
		other.Architecture = "ppc64le"
	}
	image := func(p ocispec.Platform, available bool) *platformManifest {
		return &platformManifest{Kind: imagetypes.ManifestKindImage, Platform: p, Available: available, Config: &configSummary{}}
	}
	m := availableFirst([]*platformManifest{image(host, false), image(other, true)})
	if !m.Less(other, host) || m.Less(host, other) {
		t.Error("an absent host platform ranks before a present other one")
	}
	m = availableFirst([]*platformManifest{image(host, true), image(other, true)})
	if !m.Less(host, other) {
		t.Error("the host's platform does not rank first among present ones")
	}
	if !m.Match(other) {
		t.Error("the matcher must take every platform")
	}
}
