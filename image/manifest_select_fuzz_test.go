package image

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// memProvider serves blobs from memory (a content.Provider).
type memProvider map[digest.Digest][]byte

func (m memProvider) ReaderAt(_ context.Context, desc ocispec.Descriptor) (content.ReaderAt, error) {
	b, ok := m[desc.Digest]
	if !ok {
		return nil, fmt.Errorf("%s: %w", desc.Digest, errdefs.ErrNotFound)
	}
	return readerAt{bytes.NewReader(b)}, nil
}

type readerAt struct{ *bytes.Reader }

func (readerAt) Close() error { return nil }

// fuzzBlobs are the manifests a fuzzed index may point at, with their
// digests written into the seeds.
func fuzzBlobs() (memProvider, []ocispec.Descriptor) {
	p := memProvider{}
	var descs []ocispec.Descriptor
	add := func(mediaType string, v any) ocispec.Descriptor {
		b, _ := json.Marshal(v)
		d := ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(b), Size: int64(len(b))}
		p[d.Digest] = b
		return d
	}
	for _, arch := range []string{"amd64", "arm64"} {
		cfg := add(ocispec.MediaTypeImageConfig, ocispec.Image{Platform: ocispec.Platform{OS: "linux", Architecture: arch}})
		descs = append(descs, add(ocispec.MediaTypeImageManifest, ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest, Config: cfg}))
	}
	return p, descs
}

// FuzzSelectManifest feeds an index (and a platform) to the selection:
// whatever the index says, the walk never panics, and what it selects is a
// manifest with a valid digest; when the index gave no platform for it, the
// selection read it (so it exists).
func FuzzSelectManifest(f *testing.F) {
	_, descs := fuzzBlobs()
	child := func(d ocispec.Descriptor, p *ocispec.Platform) ocispec.Descriptor { d.Platform = p; return d }
	seeds := []ocispec.Index{
		{Manifests: []ocispec.Descriptor{child(descs[0], &ocispec.Platform{OS: "linux", Architecture: "amd64"}), child(descs[1], &ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"})}},
		{Manifests: []ocispec.Descriptor{child(descs[0], nil), child(descs[1], nil)}},
		{Manifests: []ocispec.Descriptor{{MediaType: "application/x-unknown", Digest: digest.FromString("u"), Size: 1}, descs[1]}},
		{Manifests: []ocispec.Descriptor{{MediaType: ocispec.MediaTypeImageIndex, Digest: digest.FromString("missing"), Size: 2}}},
		{},
	}
	for _, idx := range seeds {
		idx.SchemaVersion, idx.MediaType = 2, ocispec.MediaTypeImageIndex
		b, _ := json.Marshal(idx)
		f.Add(b, "linux/arm64")
		f.Add(b, "linux/amd64")
	}
	f.Add([]byte(`{"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json"}]}`), "windows/amd64")
	f.Fuzz(func(t *testing.T, index []byte, platform string) {
		p, err := platforms.Parse(platform)
		if err != nil {
			return
		}
		provider, _ := fuzzBlobs()
		root := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageIndex, Digest: digest.FromBytes(index), Size: int64(len(index))}
		provider[root.Digest] = index
		sel, err := SelectManifest(context.Background(), provider, root, platforms.Only(p))
		if err != nil {
			return
		}
		if !images.IsManifestType(sel.Manifest.MediaType) {
			t.Fatalf("selected %s of media type %q", sel.Manifest.Digest, sel.Manifest.MediaType)
		}
		if err := sel.Manifest.Digest.Validate(); err != nil {
			t.Fatalf("selected %q: %v", sel.Manifest.Digest, err)
		}
		if _, ok := provider[sel.Manifest.Digest]; !ok && sel.Manifest.Platform == nil {
			t.Fatalf("selected %s without a platform, which is not in the store", sel.Manifest.Digest)
		}
	})
}
