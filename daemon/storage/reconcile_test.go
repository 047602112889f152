package storage

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/containerd/containerd/v2/plugins/snapshots/overlay/overlayutils"
	"github.com/opencontainers/go-digest"
)

// TestEmbeddedOpenRemovesWhatACrashLeft: a blob file and snapshot
// directories without metadata (what a kill between a commit and the file
// work leaves) are gone once the storage is opened again, so creating
// snapshots works, while an image's blobs stay, and the reconciliation
// itself leaves nothing.
func TestEmbeddedOpenRemovesWhatACrashLeft(t *testing.T) {
	requireRoot(t)
	root := t.TempDir()
	if err := overlayutils.Supported(filepath.Join(root, "probe")); err != nil {
		t.Skipf("overlayfs not supported here: %v", err)
	}
	s, err := Open(context.Background(), Options{Root: root, Snapshotter: SnapshotterOverlay, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ti := createTestImage(t, context.Background(), s.Client(), "docker.io/library/kept:latest", map[string]string{"a": "a\n"})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	orphan := []byte("a layer whose record a collection removed\n")
	orphanBlob := blobPath(filepath.Join(root, "content"), digest.FromBytes(orphan))
	if err := os.WriteFile(orphanBlob, orphan, 0o644); err != nil {
		t.Fatal(err)
	}
	// Directories named by the ids the next snapshots get: what a kill
	// between a snapshot's rename and its commit leaves.
	var orphanDirs []string
	for id := 1; id <= 20; id++ {
		dir := filepath.Join(root, "snapshots", "overlayfs", "snapshots", strconv.Itoa(id))
		if err := os.MkdirAll(filepath.Join(dir, "fs", "usr"), 0o755); err != nil {
			t.Fatal(err)
		}
		orphanDirs = append(orphanDirs, dir)
	}

	openEmbeddedForTest(t, root, SnapshotterOverlay)
	for _, p := range append(orphanDirs, orphanBlob) {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s survived the restart (stat: %v)", p, err)
		}
	}
	assertBlobFiles(t, filepath.Join(root, "content"), ti.blobs(), true)
	entries, err := os.ReadDir(filepath.Join(root, "content", "blobs", "sha256"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(ti.blobs()) {
		t.Errorf("content holds %d blobs, want the image's %d (reconciliation leaked its own?)", len(entries), len(ti.blobs()))
	}
	snaps, err := os.ReadDir(filepath.Join(root, "snapshots", "overlayfs", "snapshots"))
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) != 0 {
		t.Errorf("%d snapshot directories left, want none (nothing was unpacked)", len(snaps))
	}
}
