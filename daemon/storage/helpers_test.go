package storage

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/mount"
	"github.com/containerd/log"
	digest "github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sirupsen/logrus"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// testImage is a one-layer image written straight into a content store.
type testImage struct {
	image    images.Image
	manifest ocispec.Descriptor
	config   ocispec.Descriptor
	layer    ocispec.Descriptor
	diffID   digest.Digest // uncompressed layer digest == chain ID of the single layer
}

// blobs returns the image's three descriptors.
func (ti testImage) blobs() []ocispec.Descriptor {
	return []ocispec.Descriptor{ti.manifest, ti.config, ti.layer}
}

func testLogger(t *testing.T) *log.Entry {
	l := logrus.New()
	l.SetOutput(testWriter{t})
	l.SetLevel(logrus.InfoLevel)
	return logrus.NewEntry(l)
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

// layerTarGz returns a gzipped tar holding files, and the uncompressed digest.
func layerTarGz(t *testing.T, files map[string]string) ([]byte, digest.Digest) {
	t.Helper()
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	for name, body := range files {
		hdr := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return fixtures.GzipBytes(t, tarBuf.Bytes()), digest.FromBytes(tarBuf.Bytes())
}

func writeBlob(t *testing.T, ctx context.Context, cs content.Store, mediaType string, data []byte, labels map[string]string) ocispec.Descriptor {
	t.Helper()
	desc := ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(data), Size: int64(len(data))}
	if err := content.WriteBlob(ctx, cs, "test-"+desc.Digest.String(), bytes.NewReader(data), desc, content.WithLabels(labels)); err != nil {
		t.Fatalf("write %s blob: %v", mediaType, err)
	}
	return desc
}

// createTestImage writes layer, config and manifest (with the gc.ref labels
// containerd's pull would set) under a lease, then creates the image record
// and releases the lease. ctx deliberately carries no namespace: the client's
// default namespace must apply in both modes.
func createTestImage(t *testing.T, ctx context.Context, c *client.Client, name string, files map[string]string) testImage {
	t.Helper()
	layer, diffID := layerTarGz(t, files)
	return createTestImageOf(t, ctx, c, name, ocispec.MediaTypeImageLayerGzip, layer, diffID)
}

// createTestImageOf is createTestImage with the layer blob given: its media
// type, bytes and diff ID.
func createTestImageOf(t *testing.T, ctx context.Context, c *client.Client, name, mediaType string, layer []byte, diffID digest.Digest) testImage {
	t.Helper()
	lctx, done, err := c.WithLease(ctx)
	if err != nil {
		t.Fatalf("create lease: %v", err)
	}
	defer done(ctx)

	cs := c.ContentStore()
	var ti testImage
	ti.diffID = diffID
	ti.layer = writeBlob(t, lctx, cs, mediaType, layer, nil)

	cfg, err := json.Marshal(ocispec.Image{
		Platform: ocispec.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH},
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{diffID}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ti.config = writeBlob(t, lctx, cs, ocispec.MediaTypeImageConfig, cfg, nil)

	mf, err := json.Marshal(ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    ti.config,
		Layers:    []ocispec.Descriptor{ti.layer},
	})
	if err != nil {
		t.Fatal(err)
	}
	ti.manifest = writeBlob(t, lctx, cs, ocispec.MediaTypeImageManifest, mf, map[string]string{
		"containerd.io/gc.ref.content.config": ti.config.Digest.String(),
		"containerd.io/gc.ref.content.l.0":    ti.layer.Digest.String(),
	})

	ti.image, err = c.ImageService().Create(lctx, images.Image{Name: name, Target: ti.manifest})
	if err != nil {
		t.Fatalf("create image: %v", err)
	}
	return ti
}

func blobPath(contentRoot string, d digest.Digest) string {
	return filepath.Join(contentRoot, "blobs", d.Algorithm().String(), d.Encoded())
}

func assertBlobFiles(t *testing.T, contentRoot string, descs []ocispec.Descriptor, wantExist bool) {
	t.Helper()
	for _, d := range descs {
		_, err := os.Stat(blobPath(contentRoot, d.Digest))
		switch {
		case wantExist && err != nil:
			t.Errorf("blob %s (%s) should exist: %v", d.Digest, d.MediaType, err)
		case !wantExist && err == nil:
			t.Errorf("blob %s (%s) should be gone from %s", d.Digest, d.MediaType, contentRoot)
		case !wantExist && !os.IsNotExist(err):
			t.Errorf("blob %s: unexpected error %v", d.Digest, err)
		}
	}
}

// readSnapshotFile mounts a read-only view of snapshot parent and reads file.
func readSnapshotFile(t *testing.T, ctx context.Context, c *client.Client, snapshotter, parent, file string) string {
	t.Helper()
	sn := c.SnapshotService(snapshotter)
	key := "test-view-" + parent
	mounts, err := sn.View(ctx, key, parent)
	if err != nil {
		t.Fatalf("view snapshot %s: %v", parent, err)
	}
	defer func() {
		if err := sn.Remove(ctx, key); err != nil {
			t.Errorf("remove view: %v", err)
		}
	}()
	var data []byte
	if err := mount.WithReadonlyTempMount(ctx, mounts, func(root string) error {
		var err error
		data, err = os.ReadFile(filepath.Join(root, file))
		return err
	}); err != nil {
		t.Fatalf("read %s from snapshot %s: %v", file, parent, err)
	}
	return string(data)
}
