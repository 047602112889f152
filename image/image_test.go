package image

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/plugins/content/local"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

type blobs struct {
	t  *testing.T
	cs content.Store
}

func newBlobs(t *testing.T) *blobs {
	cs, err := local.NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &blobs{t: t, cs: cs}
}

func (b *blobs) put(mediaType string, v any) ocispec.Descriptor {
	data, err := json.Marshal(v)
	if err != nil {
		b.t.Fatal(err)
	}
	desc := ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(data), Size: int64(len(data))}
	if err := content.WriteBlob(context.Background(), b.cs, desc.Digest.String(), bytes.NewReader(data), desc); err != nil {
		b.t.Fatal(err)
	}
	return desc
}

// image stores a manifest whose config names p (nil: no platform).
func (b *blobs) image(seed string, p *ocispec.Platform) ocispec.Descriptor {
	cfg := ocispec.Image{Author: seed}
	if p != nil {
		cfg.Platform = *p
	}
	c := b.put(ocispec.MediaTypeImageConfig, cfg)
	return b.put(ocispec.MediaTypeImageManifest, ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest, Config: c})
}

func (b *blobs) index(children ...ocispec.Descriptor) ocispec.Descriptor {
	return b.put(ocispec.MediaTypeImageIndex, ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: children})
}

func withPlatform(d ocispec.Descriptor, p string) ocispec.Descriptor {
	pl := platforms.MustParse(p)
	d.Platform = &pl
	return d
}

// TestWalkManifests: nested indexes are walked once each, depth first, with
// the indexes above each manifest; missing nested indexes, unknown media
// types and excluded children are skipped.
func TestWalkManifests(t *testing.T) {
	ctx := context.Background()
	b := newBlobs(t)
	amd, arm := b.image("amd", nil), b.image("arm", nil)
	inner := b.index(withPlatform(arm, "linux/arm64"))
	missing := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageIndex, Digest: digest.FromString("gone"), Size: 2}
	artifact := ocispec.Descriptor{MediaType: "application/vnd.example+json", Digest: digest.FromString("x")}
	root := b.index(withPlatform(amd, "linux/amd64"), inner, missing, artifact, inner)

	type visit struct {
		m       digest.Digest
		parents []digest.Digest
	}
	var got []visit
	err := WalkManifests(ctx, b.cs, root, nil, func(d ocispec.Descriptor, parents []ocispec.Descriptor) error {
		v := visit{m: d.Digest}
		for _, p := range parents {
			v.parents = append(v.parents, p.Digest)
		}
		got = append(got, v)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []visit{{amd.Digest, []digest.Digest{root.Digest}}, {arm.Digest, []digest.Digest{root.Digest, inner.Digest}}}
	if len(got) != len(want) || got[0].m != want[0].m || !slices.Equal(got[0].parents, want[0].parents) ||
		got[1].m != want[1].m || !slices.Equal(got[1].parents, want[1].parents) {
		t.Fatalf("visits %v, want %v", got, want)
	}

	got = nil
	onlyAMD := func(d ocispec.Descriptor) bool { return d.Platform == nil || d.Platform.Architecture == "amd64" }
	if err := WalkManifests(ctx, b.cs, root, onlyAMD, func(d ocispec.Descriptor, _ []ocispec.Descriptor) error {
		got = append(got, visit{m: d.Digest})
		return nil
	}); err != nil || len(got) != 1 || got[0].m != amd.Digest {
		t.Fatalf("filtered visits %v, %v", got, err)
	}

	if err := WalkManifests(ctx, b.cs, missing, nil, nil); !errdefs.IsNotFound(err) {
		t.Fatalf("missing root: %v", err)
	}
}

// TestSelectManifest: the most specific platform wins, an undeclared one
// ranks last, its config's platform must match, and no match is not found.
func TestSelectManifest(t *testing.T) {
	ctx := context.Background()
	b := newBlobs(t)
	v6, v7 := b.image("v6", nil), b.image("v7", nil)
	arm64 := platforms.MustParse("linux/arm64")
	undeclared := b.image("undeclared", &ocispec.Platform{OS: "linux", Architecture: "arm", Variant: "v7"})
	wrongConfig := b.image("s390x", &ocispec.Platform{OS: "linux", Architecture: "s390x"})
	root := b.index(wrongConfig, undeclared, withPlatform(v6, "linux/arm/v6"), b.index(withPlatform(v7, "linux/arm/v7")))

	sel, err := SelectManifest(ctx, b.cs, root, platforms.Only(platforms.MustParse("linux/arm/v7")))
	if err != nil || sel.Manifest.Digest != v7.Digest || len(sel.Path) != 2 {
		t.Fatalf("arm/v7 selected %v (path %v), %v", sel.Manifest.Digest, sel.Path, err)
	}
	sel, err = SelectManifest(ctx, b.cs, root, platforms.Only(platforms.MustParse("linux/arm/v6")))
	if err != nil || sel.Manifest.Digest != v6.Digest {
		t.Fatalf("arm/v6 selected %v, %v", sel.Manifest.Digest, err)
	}
	noDeclared := b.index(wrongConfig, undeclared)
	sel, err = SelectManifest(ctx, b.cs, noDeclared, platforms.Only(platforms.MustParse("linux/arm/v7")))
	if err != nil || sel.Manifest.Digest != undeclared.Digest || sel.Platform == nil || sel.Platform.Variant != "v7" {
		t.Fatalf("undeclared selected %v %v, %v", sel.Manifest.Digest, sel.Platform, err)
	}
	if _, err := SelectManifest(ctx, b.cs, root, platforms.Only(platforms.MustParse("linux/ppc64le"))); !errdefs.IsNotFound(err) {
		t.Fatalf("ppc64le: %v, want not found", err)
	}
	// A manifest root is its own selection.
	if sel, err := SelectManifest(ctx, b.cs, v6, platforms.Only(arm64)); err != nil || sel.Manifest.Digest != v6.Digest {
		t.Fatalf("manifest root: %v, %v", sel.Manifest.Digest, err)
	}
}

// TestReadJSONDataLoss: content that does not decode is data loss; a
// missing blob is not found.
func TestReadJSONDataLoss(t *testing.T) {
	ctx := context.Background()
	b := newBlobs(t)
	bad := b.put(ocispec.MediaTypeImageManifest, "a string, not a manifest")
	if _, err := ReadManifest(ctx, b.cs, bad); !errdefs.IsDataLoss(err) {
		t.Fatalf("undecodable manifest: %v", err)
	}
	if _, err := ReadConfig(ctx, b.cs, ocispec.Descriptor{Digest: digest.FromString("none"), Size: 4}); !errdefs.IsNotFound(err) {
		t.Fatalf("missing config: %v", err)
	}
}

// TestLimits: indexes nest at most MaxIndexDepth deep, and oversized
// manifests and configs are refused by their descriptor, before reading.
func TestLimits(t *testing.T) {
	ctx := context.Background()
	b := newBlobs(t)
	leaf := withPlatform(b.image("leaf", nil), "linux/amd64")
	chain := func(depth int) ocispec.Descriptor {
		d := leaf
		for range depth {
			d = b.index(d)
		}
		return d
	}
	amd64 := platforms.Only(platforms.MustParse("linux/amd64"))
	if sel, err := SelectManifest(ctx, b.cs, chain(MaxIndexDepth), amd64); err != nil || sel.Manifest.Digest != leaf.Digest || len(sel.Path) != MaxIndexDepth {
		t.Fatalf("%d levels: %v (path %d), %v", MaxIndexDepth, sel.Manifest.Digest, len(sel.Path), err)
	}
	if _, err := SelectManifest(ctx, b.cs, chain(MaxIndexDepth+1), amd64); !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), "index nesting too deep") {
		t.Fatalf("%d levels: %v, want index nesting too deep", MaxIndexDepth+1, err)
	}
	huge := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromString("huge"), Size: MaxManifestSize + 1}
	if _, err := ReadManifest(ctx, b.cs, huge); !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), "manifest too large") {
		t.Fatalf("huge manifest: %v", err)
	}
	hugeConfig := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: digest.FromString("c"), Size: MaxConfigSize + 1}
	if _, err := ReadConfig(ctx, b.cs, hugeConfig); !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), "image config too large") {
		t.Fatalf("huge config: %v", err)
	}
	if err := CheckLayerCount(MaxLayers); err != nil {
		t.Fatal(err)
	}
	if err := CheckLayerCount(MaxLayers + 1); !errdefs.IsInvalidArgument(err) {
		t.Fatalf("%d layers: %v", MaxLayers+1, err)
	}
}
