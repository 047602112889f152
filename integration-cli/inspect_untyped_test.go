package integrationcli

import (
	"strings"
	"testing"
)

// TestInspectWithoutType: `docker inspect IMAGE` (no --type) asks the
// container endpoint first; berthd's answer there must let the CLI go on
// to the image, as dockerd's "No such container" does.
func TestInspectWithoutType(t *testing.T) {
	e := newImageEnv(t)
	b := e.pushPull("insp/app", "v1", smallImage(91))
	out := e.docker("inspect", "--format", "{{.Id}}", e.ref("insp/app", "v1"))
	if strings.TrimSpace(out) != b.Digest.String() {
		t.Errorf("docker inspect: %q, want %s", out, b.Digest)
	}
	if msg := e.dockerFail("inspect", "nothing-here"); !strings.Contains(msg, "No such object: nothing-here") {
		t.Errorf("docker inspect of nothing: %q", msg)
	}
}
