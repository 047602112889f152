package integrationcli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// nobodyUID is the uid/gid of the unprivileged user the test reads as.
const nobodyUID = 65534

// readAsNobody runs `cat path` as nobody and returns its error output, or ""
// when the file could be read.
func readAsNobody(t *testing.T, path string) string {
	t.Helper()
	cmd := exec.Command("cat", path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobodyUID, Gid: nobodyUID}}
	out, err := cmd.CombinedOutput()
	if err == nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if fi.Mode().Perm() != want || st.Uid != 0 {
		t.Errorf("%s: mode %v owner %d, want %v owned by root", path, fi.Mode().Perm(), st.Uid, want)
	}
}

// TestFaultDataRootIsPrivate pulls an image and reads its blobs and the
// metadata database as `nobody`: nothing is readable, as under dockerd's
// /var/lib/docker (0710 root:root) and containerd's root (0700). A data root
// an older berthd left world-readable is made private again at start.
func TestFaultDataRootIsPrivate(t *testing.T) {
	e := newImageEnv(t)
	built := e.pushPull("team/secret", "v1", smallImage(600))
	// The test's own directory must not be what protects the data root.
	if err := os.Chmod(e.d.Dir(), 0o755); err != nil {
		t.Fatal(err)
	}
	root := e.d.DataRoot()
	cdRoot := filepath.Join(root, "containerd")
	blob := filepath.Join(cdRoot, "content", "blobs", "sha256", built.Layers[0].Digest.Encoded())
	metaDB := filepath.Join(cdRoot, "meta.db")

	check := func() {
		t.Helper()
		checkMode(t, root, 0o710)
		checkMode(t, cdRoot, 0o700)
		checkMode(t, metaDB, 0o600)
		for _, p := range []string{blob, metaDB} {
			msg := readAsNobody(t, p)
			if !strings.Contains(msg, "Permission denied") {
				t.Errorf("nobody reading %s: %q, want Permission denied", p, msg)
			}
		}
	}
	check()

	// A root made by an older berthd (0711, content readable by all).
	e.d.Stop()
	for p, m := range map[string]os.FileMode{root: 0o755, cdRoot: 0o711, metaDB: 0o644} {
		if err := os.Chmod(p, m); err != nil {
			t.Fatal(err)
		}
	}
	if msg := readAsNobody(t, blob); msg != "" {
		t.Fatalf("the opened-up root should be readable by nobody before the restart (the test proves nothing otherwise): %s", msg)
	}
	e.d.Restart()
	check()
	e.docker("image", "inspect", e.ref("team/secret", "v1"))
}
