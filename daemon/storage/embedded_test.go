package storage

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/leases"
	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/containerd/containerd/v2/plugins/snapshots/overlay/overlayutils"
	"github.com/containerd/errdefs"
)

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: the embedded stack mounts snapshots itself")
	}
}

func openEmbeddedForTest(t *testing.T, root, snapshotter string) *Storage {
	t.Helper()
	s, err := Open(context.Background(), Options{Root: root, Snapshotter: snapshotter, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("Open embedded: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestEmbeddedSyncDeleteRemovesBlobs(t *testing.T) {
	requireRoot(t)
	root := t.TempDir()
	s := openEmbeddedForTest(t, root, SnapshotterNative)
	ctx := context.Background() // no namespace: the default one must apply
	c := s.Client()
	if !s.Embedded() || s.Namespace() != DefaultNamespace || s.Snapshotter() != SnapshotterNative {
		t.Fatalf("embedded=%v namespace=%q snapshotter=%q", s.Embedded(), s.Namespace(), s.Snapshotter())
	}
	nsList, err := c.NamespaceService().List(ctx)
	if err != nil || !slices.Contains(nsList, DefaultNamespace) {
		t.Fatalf("namespaces %v, %v: want %q created", nsList, err, DefaultNamespace)
	}

	contentRoot := filepath.Join(root, "content")
	ti := createTestImage(t, ctx, c, "docker.io/library/sync:latest", map[string]string{"hello.txt": "hello\n"})
	assertBlobFiles(t, contentRoot, ti.blobs(), true)

	// A collection now must keep everything the image references.
	if err := s.CollectGarbage(ctx); err != nil {
		t.Fatalf("CollectGarbage: %v", err)
	}
	assertBlobFiles(t, contentRoot, ti.blobs(), true)

	if err := c.ImageService().Delete(ctx, ti.image.Name, images.SynchronousDelete()); err != nil {
		t.Fatalf("delete image: %v", err)
	}
	// No waiting: the synchronous delete has collected before returning.
	assertBlobFiles(t, contentRoot, ti.blobs(), false)
	if _, err := c.ContentStore().Info(ctx, ti.manifest.Digest); !errdefs.IsNotFound(err) {
		t.Errorf("manifest info after delete: err=%v, want not found", err)
	}
}

func TestEmbeddedAsyncDeleteIsCollectedByScheduler(t *testing.T) {
	requireRoot(t)
	root := t.TempDir()
	s := openEmbeddedForTest(t, root, SnapshotterNative)
	ctx := context.Background()
	c := s.Client()
	contentRoot := filepath.Join(root, "content")
	ti := createTestImage(t, ctx, c, "docker.io/library/async:latest", map[string]string{"a": "a\n"})

	if err := c.ImageService().Delete(ctx, ti.image.Name); err != nil {
		t.Fatalf("delete image: %v", err)
	}
	// The collection removes the files one after another: wait for all.
	deadline := time.Now().Add(5 * time.Second)
	for {
		gone := 0
		for _, d := range ti.blobs() {
			if _, err := os.Stat(blobPath(contentRoot, d.Digest)); os.IsNotExist(err) {
				gone++
			}
		}
		if gone == len(ti.blobs()) {
			break
		}
		if time.Now().After(deadline) {
			assertBlobFiles(t, contentRoot, ti.blobs(), false)
			t.Fatal("the debounced collection did not remove the image's blobs within 5s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestEmbeddedSyncLeaseDelete(t *testing.T) {
	requireRoot(t)
	root := t.TempDir()
	s := openEmbeddedForTest(t, root, SnapshotterNative)
	ctx := context.Background()
	c := s.Client()

	lctx, done, err := c.WithLease(ctx)
	if err != nil {
		t.Fatal(err)
	}
	blob := writeBlob(t, lctx, c.ContentStore(), "application/octet-stream", []byte("leased only"), nil)
	id, ok := leases.FromContext(lctx)
	if !ok {
		t.Fatal("no lease in context")
	}
	if err := c.LeasesService().Delete(ctx, leases.Lease{ID: id}, leases.SynchronousDelete); err != nil {
		t.Fatalf("delete lease: %v", err)
	}
	if err := done(ctx); err != nil && !errdefs.IsNotFound(err) {
		t.Errorf("done after delete: %v", err)
	}
	if _, err := os.Stat(blobPath(filepath.Join(root, "content"), blob.Digest)); !os.IsNotExist(err) {
		t.Fatalf("blob held only by a lease must be gone after a synchronous lease delete (stat err=%v)", err)
	}
}

func testUnpack(t *testing.T, snapshotter string) {
	requireRoot(t)
	root := t.TempDir()
	if snapshotter == SnapshotterOverlay {
		if err := overlayutils.Supported(filepath.Join(root, "probe")); err != nil {
			t.Skipf("overlayfs not supported here (overlayutils.Supported: %v)", err)
		}
	}
	s := openEmbeddedForTest(t, root, snapshotter)
	if s.Snapshotter() != snapshotter {
		t.Fatalf("effective snapshotter %q, want %q", s.Snapshotter(), snapshotter)
	}
	ctx := context.Background()
	c := s.Client()

	caps, err := c.GetSnapshotterCapabilities(ctx, snapshotter)
	if err != nil {
		t.Fatalf("snapshotter capabilities: %v", err)
	}
	if snapshotter == SnapshotterOverlay && !slices.Contains(caps, snapshots.RebaseCap) {
		t.Errorf("overlayfs capabilities %v lack %q (parallel unpack needs it)", caps, snapshots.RebaseCap)
	}

	ti := createTestImage(t, ctx, c, "docker.io/library/unpack:latest", map[string]string{"etc/motd": "berth " + snapshotter + "\n"})
	img := client.NewImage(c, ti.image)
	if err := img.Unpack(ctx, s.Snapshotter()); err != nil {
		t.Fatalf("unpack onto %s: %v", snapshotter, err)
	}
	if ok, err := img.IsUnpacked(ctx, s.Snapshotter()); err != nil || !ok {
		t.Fatalf("IsUnpacked = %v, %v", ok, err)
	}
	chainID := ti.diffID.String() // single layer: chain ID == diff ID
	sn := c.SnapshotService(s.Snapshotter())
	info, err := sn.Stat(ctx, chainID)
	if err != nil {
		t.Fatalf("stat snapshot %s: %v", chainID, err)
	}
	if info.Kind != snapshots.KindCommitted {
		t.Errorf("snapshot kind %v, want committed", info.Kind)
	}
	if got := readSnapshotFile(t, ctx, c, s.Snapshotter(), chainID, "etc/motd"); got != "berth "+snapshotter+"\n" {
		t.Errorf("etc/motd in snapshot = %q", got)
	}
	// A client call without a snapshotter name resolves the effective one.
	if c.SnapshotService("") == nil {
		t.Error(`SnapshotService("") is nil; the namespace default-snapshotter label is missing`)
	}

	if err := c.ImageService().Delete(ctx, ti.image.Name, images.SynchronousDelete()); err != nil {
		t.Fatalf("delete image: %v", err)
	}
	if _, err := sn.Stat(ctx, chainID); !errdefs.IsNotFound(err) {
		t.Errorf("snapshot after synchronous image delete: err=%v, want not found", err)
	}
	dirs, err := os.ReadDir(filepath.Join(root, "snapshots", snapshotter, "snapshots"))
	if err != nil {
		t.Fatalf("read snapshot dirs: %v", err)
	}
	if len(dirs) != 0 {
		t.Errorf("%d snapshot directories left on disk after synchronous delete", len(dirs))
	}
}

func TestEmbeddedUnpackOverlay(t *testing.T) { testUnpack(t, SnapshotterOverlay) }

func TestEmbeddedUnpackNative(t *testing.T) { testUnpack(t, SnapshotterNative) }

func TestEmbeddedSecondOpenFailsFast(t *testing.T) {
	requireRoot(t)
	root := t.TempDir()
	first, err := Open(context.Background(), Options{Root: root, Snapshotter: SnapshotterNative, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	second, err := Open(context.Background(), Options{Root: root, Snapshotter: SnapshotterNative, Logger: testLogger(t)})
	elapsed := time.Since(start)
	if err == nil {
		second.Close()
		first.Close()
		t.Fatal("second Open on the same root succeeded")
	}
	t.Logf("second Open failed after %s: %v", elapsed, err)
	if !strings.Contains(err.Error(), "locked by another process") {
		t.Errorf("error %q does not say the database is locked by another process", err)
	}
	if elapsed > 5*time.Second {
		t.Errorf("second Open took %s, want a fast failure", elapsed)
	}

	// Once the first is closed, the root opens again and keeps its data.
	ti := createTestImage(t, context.Background(), first.Client(), "docker.io/library/keep:latest", map[string]string{"k": "k"})
	if err := first.Close(); err != nil {
		t.Fatalf("close first: %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	third := openEmbeddedForTest(t, root, SnapshotterNative)
	if _, err := third.Client().ImageService().Get(context.Background(), ti.image.Name); err != nil {
		t.Fatalf("image after reopen: %v", err)
	}
}

func TestOpenRejectsBadOptions(t *testing.T) {
	ctx := context.Background()
	if _, err := Open(ctx, Options{Snapshotter: SnapshotterNative}); err == nil {
		t.Error("embedded Open without Root succeeded")
	}
	if _, err := Open(ctx, Options{Root: t.TempDir(), Snapshotter: "zfs"}); err == nil {
		t.Error("Open with an unsupported snapshotter succeeded")
	}
	start := time.Now()
	_, err := Open(ctx, Options{Address: filepath.Join(t.TempDir(), "none.sock")})
	if err == nil || time.Since(start) > 2*time.Second {
		t.Errorf("Open on a missing socket: err=%v after %s, want a fast error", err, time.Since(start))
	}
}

// After switching snapshotters, the old one stays registered (not effective)
// so that GC still removes its snapshots from disk.
func TestEmbeddedSnapshotterSwitchKeepsOldCollectable(t *testing.T) {
	requireRoot(t)
	root := t.TempDir()
	if err := overlayutils.Supported(filepath.Join(root, "probe")); err != nil {
		t.Skipf("overlayfs not supported here (overlayutils.Supported: %v)", err)
	}
	ctx := context.Background()
	first, err := Open(ctx, Options{Root: root, Snapshotter: SnapshotterNative, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ti := createTestImage(t, ctx, first.Client(), "docker.io/library/switch:latest", map[string]string{"f": "f\n"})
	if err := client.NewImage(first.Client(), ti.image).Unpack(ctx, SnapshotterNative); err != nil {
		t.Fatalf("unpack: %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	s := openEmbeddedForTest(t, root, SnapshotterOverlay)
	if s.Snapshotter() != SnapshotterOverlay {
		t.Fatalf("effective snapshotter %q", s.Snapshotter())
	}
	resp, err := s.Client().IntrospectionService().Plugins(ctx, "type==io.containerd.snapshotter.v1")
	if err != nil || len(resp.Plugins) != 2 {
		t.Fatalf("snapshotter plugins %v, %v: want overlayfs and native", resp, err)
	}
	nativeDirs := filepath.Join(root, "snapshots", SnapshotterNative, "snapshots")
	if dirs, _ := os.ReadDir(nativeDirs); len(dirs) != 1 {
		t.Fatalf("%d native snapshot dirs before delete, want 1", len(dirs))
	}
	if err := s.Client().ImageService().Delete(ctx, ti.image.Name, images.SynchronousDelete()); err != nil {
		t.Fatal(err)
	}
	if dirs, _ := os.ReadDir(nativeDirs); len(dirs) != 0 {
		t.Errorf("%d native snapshot dirs left after delete", len(dirs))
	}
}
