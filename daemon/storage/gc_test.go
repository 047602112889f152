package storage

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/images"
)

// A synchronous delete collects once: the deletion it made does not also
// kick a second, debounced full collection that later writes would queue
// behind. A plain delete is still collected by the scheduler.
func TestEmbeddedSyncDeleteCollectsOnce(t *testing.T) {
	s, root, collections := openCountingCollections(t)
	ctx := context.Background()
	c := s.Client()
	contentRoot := filepath.Join(root, "content")
	sync := createTestImage(t, ctx, c, "docker.io/library/once:latest", map[string]string{"a": "a\n"})
	plain := createTestImage(t, ctx, c, "docker.io/library/plain:latest", map[string]string{"b": "b\n"})
	settle := 3 * gcDebounce
	time.Sleep(settle) // the leases the images were written under went: let that collection pass

	before := collections.Load()
	if err := c.ImageService().Delete(ctx, sync.image.Name, images.SynchronousDelete()); err != nil {
		t.Fatalf("delete image: %v", err)
	}
	if n := collections.Load() - before; n != 1 {
		t.Fatalf("%d collections when the synchronous delete returned, want 1", n)
	}
	assertBlobFiles(t, contentRoot, sync.blobs(), false)
	time.Sleep(settle)
	if n := collections.Load() - before; n != 1 {
		t.Errorf("%d collections %v after the synchronous delete, want 1 (a redundant debounced one ran)", n, settle)
	}

	before = collections.Load()
	if err := c.ImageService().Delete(ctx, plain.image.Name); err != nil {
		t.Fatalf("delete image: %v", err)
	}
	time.Sleep(settle)
	if n := collections.Load() - before; n != 1 {
		t.Errorf("%d collections %v after a plain delete, want 1", n, settle)
	}
	assertBlobFiles(t, contentRoot, plain.blobs(), false)
}

// While collections are held (a rmi removing several records before its
// synchronous collection), a deletion's debounced collection waits; once
// released it runs.
func TestEmbeddedHeldCollectionsWait(t *testing.T) {
	s, root, collections := openCountingCollections(t)
	ctx := context.Background()
	c := s.Client()
	contentRoot := filepath.Join(root, "content")
	ti := createTestImage(t, ctx, c, "docker.io/library/held:latest", map[string]string{"a": "a\n"})
	settle := 3 * gcDebounce
	time.Sleep(settle)

	before := collections.Load()
	release := s.HoldCollections()
	if err := c.ImageService().Delete(ctx, ti.image.Name); err != nil {
		t.Fatalf("delete image: %v", err)
	}
	time.Sleep(settle)
	if n := collections.Load() - before; n != 0 {
		t.Errorf("%d collections while held, want 0", n)
	}
	assertBlobFiles(t, contentRoot, ti.blobs(), true)
	release()
	time.Sleep(settle)
	if n := collections.Load() - before; n != 1 {
		t.Errorf("%d collections after release, want 1", n)
	}
	assertBlobFiles(t, contentRoot, ti.blobs(), false)
}

// openCountingCollections opens an embedded store (native snapshotter) in a
// temporary root and counts the collections it runs.
func openCountingCollections(t *testing.T) (*Storage, string, *atomic.Int64) {
	t.Helper()
	requireRoot(t)
	root := t.TempDir()
	collections := new(atomic.Int64)
	s, err := Open(context.Background(), Options{Root: root, Snapshotter: SnapshotterNative, Logger: testLogger(t),
		OnGC: func(time.Duration, error) { collections.Add(1) }})
	if err != nil {
		t.Fatalf("Open embedded: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, root, collections
}
