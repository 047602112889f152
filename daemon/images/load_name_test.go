package images

import (
	"testing"

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
