package integrationcli

import (
	"archive/tar"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// TestFaultPathTricksStayInside pulls a layer whose entries try to escape
// the snapshot: "../" paths and a symlink to a host directory followed by a
// file through it. Nothing lands outside the data root, and the daemon
// serves on.
func TestFaultPathTricksStayInside(t *testing.T) {
	e := newImageEnv(t)
	outside := t.TempDir()
	dotdot := strings.Repeat("../", 12) + strings.TrimPrefix(outside, "/") + "/dotdot"
	img := fixtures.Image{Layers: []fixtures.Layer{{Files: []fixtures.File{
		{Path: "escape", Type: tar.TypeSymlink, Link: outside},
		{Path: "escape/through-link", Content: []byte("owned")},
		{Path: dotdot, Content: []byte("owned")},
		{Path: "rel", Type: tar.TypeSymlink, Link: strings.Repeat("../", 12) + strings.TrimPrefix(outside, "/")},
		{Path: "rel/through-relative-link", Content: []byte("owned")},
	}}}}
	e.push("team/tricks", "v1", img)
	res := e.cli.Run("pull", e.ref("team/tricks", "v1"))
	t.Logf("pull: exit %d: %s", res.ExitCode, strings.TrimSpace(res.Combined()))

	entries, err := os.ReadDir(outside)
	if err != nil {
		t.Fatal(err)
	}
	for _, ent := range entries {
		t.Errorf("written outside the data root: %s", filepath.Join(outside, ent.Name()))
	}
	e.docker("version")
	if res.ExitCode == 0 {
		// What the entries became: files inside the snapshot.
		found := 0
		root := filepath.Join(e.d.DataRoot(), "containerd", "snapshots")
		_ = filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
			if err == nil && fi.Mode().IsRegular() && strings.HasPrefix(fi.Name(), "through-") {
				found++
			}
			return nil
		})
		if found == 0 {
			t.Error("the pull succeeded but the files written through the links are nowhere in the snapshots")
		}
	}
}
