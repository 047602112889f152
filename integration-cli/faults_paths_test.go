package integrationcli

import (
	"archive/tar"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// TestFaultPathTricksLayered pulls a two-layer image of path tricks:
// absolute symlink chains and a symlink to /tmp written through, a file
// replacing a lower directory and a directory replacing a lower file, and
// device nodes. Nothing lands outside the data root, and the merged view
// is what dockerd's overlay2 and containerd produce: links resolve inside
// the layer's root, the upper entry replaces the lower one, and devices are
// made (berthd runs as root).
func TestFaultPathTricksLayered(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("device nodes and overlay mounts need root")
	}
	e := newImageEnv(t)
	outside := t.TempDir()
	inTmp := filepath.Base(outside) + "-through-tmp"
	e.push("team/layered", "v1", fixtures.Image{Layers: []fixtures.Layer{
		{Files: []fixtures.File{
			{Path: "marker1"},
			{Path: "d/inner", Content: []byte("lower")},
			{Path: "f", Content: []byte("lower file")},
			{Path: "abs2", Type: tar.TypeSymlink, Link: outside},
			{Path: "abs1", Type: tar.TypeSymlink, Link: "/abs2"},
			{Path: "abs1/through-chain", Content: []byte("owned")},
			{Path: "tmplink", Type: tar.TypeSymlink, Link: "/tmp"},
			{Path: "tmplink/" + inTmp, Content: []byte("owned")},
			{Path: "dev/c", Type: tar.TypeChar, Devmajor: 1, Devminor: 3},
			{Path: "dev/b", Type: tar.TypeBlock, Devmajor: 7, Devminor: 0},
			{Path: "dev/p", Type: tar.TypeFifo},
		}},
		{Files: []fixtures.File{
			{Path: "marker2"},
			{Path: "d", Content: []byte("now a file")},
			{Path: "f/child", Content: []byte("now a dir")},
			{Path: "tmplink/" + inTmp + "-upper", Content: []byte("owned")},
		}},
	}})
	e.docker("pull", e.ref("team/layered", "v1"))
	assertEmptyDir(t, outside)
	for _, p := range []string{"/tmp/" + inTmp, "/tmp/" + inTmp + "-upper"} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("written outside the data root: %s", p)
			_ = os.Remove(p)
		}
	}

	root := e.mergedView("marker1", "marker2")
	want := map[string]string{
		"d":                                     "now a file",
		"f/child":                               "now a dir",
		filepath.Join(outside, "through-chain"): "owned", // abs1 → /abs2 → outside, inside the root
		"tmp/" + inTmp:                          "owned", // tmplink → /tmp, inside the root
	}
	for rel, content := range want {
		if got, err := os.ReadFile(filepath.Join(root, rel)); err != nil || string(got) != content {
			t.Errorf("merged view: %s is %q (%v), want %q", rel, got, err, content)
		}
	}
	if _, err := os.Lstat(filepath.Join(root, "d", "inner")); err == nil {
		t.Error("merged view: d/inner of the lower layer shows through the file that replaced d")
	}
	for rel, typ := range map[string]uint32{"dev/c": unix.S_IFCHR, "dev/b": unix.S_IFBLK, "dev/p": unix.S_IFIFO} {
		var st unix.Stat_t
		if err := unix.Lstat(filepath.Join(root, rel), &st); err != nil || st.Mode&unix.S_IFMT != typ {
			t.Errorf("merged view: %s has mode %o (%v), want type %o", rel, st.Mode, err, typ)
		}
	}
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(root, "dev/c"), &st); err == nil && st.Rdev != unix.Mkdev(1, 3) {
		t.Errorf("dev/c is device %d:%d, want 1:3", unix.Major(st.Rdev), unix.Minor(st.Rdev))
	}
	// A path under a lower layer's symlink is applied to the upper layer's
	// directory (dockerd's overlay2 and containerd apply into the upperdir
	// too): the merged view shows a directory where the link was.
	if got, err := os.ReadFile(filepath.Join(root, "tmplink", inTmp+"-upper")); err != nil || string(got) != "owned" {
		t.Errorf("merged view: tmplink/%s-upper is %q (%v)", inTmp, got, err)
	}
}

// TestFaultPathTricksRefused pulls layers that dockerd and containerd
// refuse: a hard link to a file outside the root (absolute and through
// "../") and a whiteout of "..". Each pull fails, the outside file keeps
// one link and its content, nothing is stored, and the daemon serves on.
func TestFaultPathTricksRefused(t *testing.T) {
	e := newImageEnv(t)
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret")
	if err := os.WriteFile(secret, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	up := strings.Repeat("../", 12) + strings.TrimPrefix(secret, "/")
	cases := []struct {
		tag    string
		layers []fixtures.Layer
		want   string
	}{
		{"hardlink-abs", []fixtures.Layer{{Files: []fixtures.File{{Path: "hl", Type: tar.TypeLink, Link: secret}}}}, "no such file or directory"},
		{"hardlink-up", []fixtures.Layer{{Files: []fixtures.File{{Path: "hl", Type: tar.TypeLink, Link: up}}}}, "no such file or directory"},
		{"whiteout-dotdot", []fixtures.Layer{
			{Files: []fixtures.File{{Path: "sub/keep", Content: []byte("x")}}},
			{Files: []fixtures.File{{Path: "sub/.wh.."}}},
		}, "invalid whiteout name"},
		{"whiteout-root-dotdot", []fixtures.Layer{{Files: []fixtures.File{{Path: ".wh.."}}}}, "invalid whiteout name"},
	}
	for _, c := range cases {
		e.push("team/refused", c.tag, fixtures.Image{Layers: c.layers})
		msg := e.dockerFail("pull", e.ref("team/refused", c.tag))
		if !strings.Contains(msg, c.want) {
			t.Errorf("pull %s: %q, want it to say %q", c.tag, msg, c.want)
		}
		e.waitNothingStored("pull "+c.tag, 15*time.Second)
	}
	var st unix.Stat_t
	if err := unix.Stat(secret, &st); err != nil || st.Nlink != 1 {
		t.Errorf("%s has %d links (%v), want 1", secret, st.Nlink, err)
	}
	if got, _ := os.ReadFile(secret); string(got) != "secret" {
		t.Errorf("%s now holds %q", secret, got)
	}
	assertEmptyDir(t, outside, "secret")
	e.docker("version")
}

// assertEmptyDir fails for every entry of dir but keep.
func assertEmptyDir(t *testing.T, dir string, keep ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, ent := range entries {
		if len(keep) == 0 || ent.Name() != keep[0] {
			t.Errorf("written outside the data root: %s", filepath.Join(dir, ent.Name()))
		}
	}
}

// mergedView mounts, read-only, the overlay of the snapshots holding the
// marker files (lowest first) and returns its root; it is unmounted when
// the test ends.
func (e *imageEnv) mergedView(markers ...string) string {
	e.t.Helper()
	var lowers []string
	for i := len(markers) - 1; i >= 0; i-- {
		found, _ := filepath.Glob(filepath.Join(e.d.DataRoot(), "containerd", "snapshots", "overlayfs", "snapshots", "*", "fs", markers[i]))
		if len(found) != 1 {
			e.t.Fatalf("snapshots holding %s: %v, want one", markers[i], found)
		}
		lowers = append(lowers, filepath.Dir(found[0]))
	}
	root := e.t.TempDir()
	if err := unix.Mount("overlay", root, "overlay", unix.MS_RDONLY, "lowerdir="+strings.Join(lowers, ":")); err != nil {
		e.t.Fatalf("mount the merged view: %v", err)
	}
	e.t.Cleanup(func() { _ = unix.Unmount(root, unix.MNT_DETACH) })
	return root
}
