package images

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/containerd/containerd/v2/core/content"
	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sirupsen/logrus"

	"github.com/berth-dev/berth/daemon/storage"
	"github.com/berth-dev/berth/distribution"
)

// newTestService is the image service over a real embedded containerd
// (bolt metadata, content store, native snapshotter) in a temp dir, with no
// registry: what unit tests of the service run on.
func newTestService(t *testing.T) *ImageService {
	t.Helper()
	return newTestServiceWith(t, Config{Registries: distribution.New(distribution.Config{})})
}

// newTestServiceWith is newTestService with cfg's registries and
// environment.
func newTestServiceWith(t *testing.T, cfg Config) *ImageService {
	t.Helper()
	st, err := storage.Open(context.Background(), storage.Options{
		Root:        t.TempDir(),
		Snapshotter: storage.SnapshotterNative,
		Logger:      quietLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close storage: %v", err)
		}
	})
	cfg.Storage = st
	return New(cfg)
}

// quietLogger logs warnings and errors only, so that test output shows
// what went wrong rather than storage start-up lines.
func quietLogger() *logrus.Entry {
	l := logrus.New()
	l.SetLevel(logrus.WarnLevel)
	return logrus.NewEntry(l)
}

// putBlob stores data as a blob of mediaType.
func putBlob(t *testing.T, s *ImageService, mediaType string, data []byte, labels map[string]string) ocispec.Descriptor {
	t.Helper()
	desc := ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(data), Size: int64(len(data))}
	var opts []content.Opt
	if labels != nil {
		opts = append(opts, content.WithLabels(labels))
	}
	if err := content.WriteBlob(context.Background(), s.content, desc.Digest.String(), bytesReader(data), desc, opts...); err != nil {
		t.Fatal(err)
	}
	return desc
}

// putImage stores a one-layer image (config labels as given; seed makes it
// distinct) and returns its manifest descriptor and layer.
func putImage(t *testing.T, s *ImageService, seed string, labels map[string]string) (manifest, layerDesc ocispec.Descriptor) {
	t.Helper()
	layerData := []byte("not a real tar: " + seed)
	layerDesc = putBlob(t, s, ocispec.MediaTypeImageLayer, layerData, nil)
	cfg, _ := json.Marshal(ocispec.Image{
		Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"},
		Config:   ocispec.ImageConfig{Labels: labels},
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{layerDesc.Digest}},
	})
	cfgDesc := putBlob(t, s, ocispec.MediaTypeImageConfig, cfg, nil)
	m, _ := json.Marshal(ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    cfgDesc,
		Layers:    []ocispec.Descriptor{layerDesc},
	})
	manifest = putBlob(t, s, ocispec.MediaTypeImageManifest, m, map[string]string{
		"containerd.io/gc.ref.content.config": cfgDesc.Digest.String(),
		"containerd.io/gc.ref.content.l.0":    layerDesc.Digest.String(),
	})
	return manifest, layerDesc
}

// putRecord names target.
func putRecord(t *testing.T, s *ImageService, name string, target ocispec.Descriptor, labels map[string]string) {
	t.Helper()
	if _, err := s.images.Create(context.Background(), c8dimages.Image{Name: name, Target: target, Labels: labels}); err != nil {
		t.Fatal(err)
	}
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
