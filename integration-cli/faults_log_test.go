package integrationcli

import (
	"strings"
	"testing"
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
