package integrationcli

import (
	"strings"
	"testing"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// TestFaultFailedPullLogsNoCleanupNoise fails a pull on a corrupt layer: the
// user gets the error, and the daemon log carries no "failed to cleanup
// extract-…: not found" line per aborted layer (containerd's unpacker
// removes a failed layer's snapshot twice).
func TestFaultFailedPullLogsNoCleanupNoise(t *testing.T) {
	e := newImageEnv(t)
	built := e.push("team/broken", "v1", threeLayers(900))
	e.reg.CorruptBlob("team/broken", built.Layers[2].Digest)
	msg := e.dockerFail("pull", e.ref("team/broken", "v1"))
	if !strings.Contains(msg, built.Layers[2].Digest.String()) {
		t.Errorf("error %q does not name the corrupt layer", msg)
	}
	if n := strings.Count(e.d.Logs(), "failed to cleanup"); n > 0 {
		t.Errorf("%d \"failed to cleanup\" lines in the daemon log:\n%s", n, e.d.Logs())
	}
}

// TestFaultXattrOverflowIsExplained pulls a layer with an extended attribute
// larger than ext4 holds: the pull fails naming the attribute, not with a
// bare "no space left on device" that reads as a full disk.
func TestFaultXattrOverflowIsExplained(t *testing.T) {
	e := newImageEnv(t)
	img := fixtures.Image{Layers: []fixtures.Layer{{Files: []fixtures.File{
		{Path: "etc/big", Content: []byte("x"), Xattrs: map[string]string{"user.big": strings.Repeat("v", 16<<10)}},
	}}}}
	e.push("team/xattr", "v1", img)
	msg := e.dockerFail("pull", e.ref("team/xattr", "v1"))
	if !strings.Contains(msg, `extended attribute "user.big"`) || !strings.Contains(msg, "too large for the filesystem") {
		t.Errorf("pull error %q does not explain the oversized attribute", msg)
	}
}

// TestFaultPullErrorIsSaidOnce fails every layer of a pull the same way: the
// error the user gets names the failure once, not once per layer.
func TestFaultPullErrorIsSaidOnce(t *testing.T) {
	e := newImageEnv(t)
	built := e.push("team/allbad", "v1", threeLayers(950))
	for _, l := range built.Layers {
		e.reg.CorruptBlob("team/allbad", l.Digest)
	}
	_, body := e.rawPull(e.reg.Host()+"/team/allbad", "v1")
	msg := streamError(t, body)
	if msg == "" {
		t.Fatalf("no error in the stream:\n%s", body)
	}
	seen := map[string]bool{}
	for _, l := range strings.Split(msg, "\n") {
		if seen[l] || l == "aborted" {
			t.Errorf("error message repeats itself:\n%s", msg)
			break
		}
		seen[l] = true
	}
}
