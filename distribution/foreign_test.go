package distribution

import (
	"context"
	"testing"

	"github.com/containerd/containerd/v2/core/images"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestNoForeignURLs(t *testing.T) {
	urls := []string{"https://foreign.example/layer"}
	layer := ocispec.Descriptor{
		MediaType:   images.MediaTypeDockerSchema2LayerForeignGzip,
		Digest:      digest.FromString("layer"),
		URLs:        urls,
		Annotations: map[string]string{"a": "b"},
	}
	config := ocispec.Descriptor{MediaType: images.MediaTypeDockerSchema2Config, Digest: digest.FromString("config")}
	children := []ocispec.Descriptor{config, layer}
	inner := images.HandlerFunc(func(context.Context, ocispec.Descriptor) ([]ocispec.Descriptor, error) {
		return children, nil
	})
	h := NoForeignURLs(inner)

	got, err := h.Handle(context.Background(), ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].URLs != nil || got[1].MediaType != layer.MediaType || got[1].Digest != layer.Digest ||
		got[1].Annotations["a"] != "b" || got[0].Digest != config.Digest {
		t.Errorf("manifest children %+v, want the same descriptors without URLs", got)
	}
	if len(children[1].URLs) != 1 {
		t.Error("the inner handler's slice was modified")
	}

	// Only manifests' children are touched.
	got, err = h.Handle(context.Background(), ocispec.Descriptor{MediaType: ocispec.MediaTypeImageIndex})
	if err != nil || len(got[1].URLs) != 1 {
		t.Errorf("index children %+v (%v), want them unchanged", got, err)
	}
}
