package layer

import (
	"bytes"
	"slices"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/testutil/fixtures"
)

var tarball = bytes.Repeat([]byte("not really a tar, but layer bytes "), 100)

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		name      string
		head      []byte
		want      Compression
		mediaType string
	}{
		{"gzip", fixtures.GzipBytes(t, tarball), Gzip, ocispec.MediaTypeImageLayerGzip},
		{"zstd", fixtures.ZstdBytes(t, tarball), Zstd, ocispec.MediaTypeImageLayerZstd},
		{"plain tar", tarball, Uncompressed, ocispec.MediaTypeImageLayer},
		{"empty", nil, Uncompressed, ocispec.MediaTypeImageLayer},
	} {
		got, err := Detect(tc.head)
		if err != nil || got != tc.want || got.MediaType() != tc.mediaType {
			t.Errorf("%s: Detect = %v (%s), %v", tc.name, got, got.MediaType(), err)
		}
	}
	bzip2 := []byte{'B', 'Z', 'h', '9', 0x31, 0x41, 0x59, 0x26, 0x53, 0x59}
	xz := []byte{0xfd, '7', 'z', 'X', 'Z', 0x00, 0, 0}
	for name, head := range map[string][]byte{"bzip2": bzip2, "xz": xz} {
		if _, err := Detect(head); !errdefs.IsNotImplemented(err) {
			t.Errorf("%s: Detect error %v, want not implemented", name, err)
		}
	}
}

func TestIsMediaType(t *testing.T) {
	for _, mt := range []string{ocispec.MediaTypeImageLayerGzip, ocispec.MediaTypeImageLayerZstd,
		"application/vnd.docker.image.rootfs.diff.tar.gzip", "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"} {
		if !IsMediaType(mt) {
			t.Errorf("%s is a layer type", mt)
		}
	}
	for _, mt := range []string{ocispec.MediaTypeImageConfig, "application/vnd.in-toto+json", "application/octet-stream"} {
		if IsMediaType(mt) {
			t.Errorf("%s is not a layer type", mt)
		}
	}
}

func TestChainIDsKeepsInput(t *testing.T) {
	a, b := digest.FromString("a"), digest.FromString("b")
	in := []digest.Digest{a, b}
	got := ChainIDs(in)
	if !slices.Equal(in, []digest.Digest{a, b}) {
		t.Fatal("ChainIDs modified its input")
	}
	if want := identity.ChainIDs([]digest.Digest{a, b}); !slices.Equal(got, want) {
		t.Fatalf("ChainIDs = %v, want %v", got, want)
	}
}
