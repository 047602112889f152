package storage

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/containerd/containerd/v2/client"
)

// TestNativeOpenRemovesSnapshotDirsWithoutRecord: the directories a kill
// inside the native snapshotter leaves (a half-copied "new-…", one renamed
// under the id the next snapshot gets, a removal's "rm-…") are gone once
// the storage opens again, the unpacked image's snapshot stays readable,
// and the next unpack, which gets those ids, works.
func TestNativeOpenRemovesSnapshotDirsWithoutRecord(t *testing.T) {
	requireRoot(t)
	root := t.TempDir()
	ctx := context.Background()
	s, err := Open(ctx, Options{Root: root, Snapshotter: SnapshotterNative, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	kept := createTestImage(t, ctx, s.Client(), "docker.io/library/kept:latest", map[string]string{"etc/kept": "kept\n"})
	if err := client.NewImage(s.Client(), kept.image).Unpack(ctx, SnapshotterNative); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	dir := filepath.Join(root, "snapshots", SnapshotterNative, "snapshots")
	before, err := os.ReadDir(dir)
	if err != nil || len(before) != 1 {
		t.Fatalf("after one unpack the native snapshotter has %d directories (%v), want 1", len(before), err)
	}
	orphans := []string{"new-123456", "rm-1"}
	for id := 2; id <= 12; id++ {
		orphans = append(orphans, strconv.Itoa(id))
	}
	for _, name := range orphans {
		if err := os.MkdirAll(filepath.Join(dir, name, "usr", "bin"), 0o755); err != nil {
			t.Fatal(err)
		}
	}

	s = openEmbeddedForTest(t, root, SnapshotterNative)
	after, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ent := range after {
		names = append(names, ent.Name())
	}
	if !slices.Equal(names, []string{before[0].Name()}) {
		t.Errorf("after the restart the native snapshotter holds %v, want only the unpacked image's %s", names, before[0].Name())
	}
	if got := readSnapshotFile(t, ctx, s.Client(), SnapshotterNative, kept.diffID.String(), "etc/kept"); got != "kept\n" {
		t.Errorf("the kept snapshot reads %q", got)
	}
	next := createTestImage(t, ctx, s.Client(), "docker.io/library/next:latest", map[string]string{"etc/next": "next\n"})
	if err := client.NewImage(s.Client(), next.image).Unpack(ctx, SnapshotterNative); err != nil {
		t.Fatalf("unpack after the restart: %v", err)
	}
}
