package integration

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// TestPullRecordsOnlyCompleteImages pulls an image whose config descriptor
// has a layer media type: the pull fails with a 400 saying so, no image is
// listed and nothing it fetched stays after GC (a record is written only
// once everything it references is stored and unpacked).
func TestPullRecordsOnlyCompleteImages(t *testing.T) {
	t.Parallel()
	e := newPullEnv(t)
	const repo = "broken/cfgtype"
	e.push(repo, "latest", fixtures.Image{
		Layers:          []fixtures.Layer{{Seed: 41}, {Seed: 42}},
		ConfigMediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip",
	})
	msg := e.rawPull(t, pullQuery(e.reg.Host()+"/"+repo, "latest"), "").apiError(t, http.StatusBadRequest)
	if !strings.Contains(msg, "its config has the layer media type application/vnd.docker.image.rootfs.diff.tar.gzip") {
		t.Errorf("pull error %q does not say the config has a layer media type", msg)
	}

	if _, err := e.api.ImageInspect(context.Background(), e.reg.Host()+"/"+repo+":latest"); err == nil {
		t.Error("the failed pull's image can be inspected")
	}
	e.assertNothingStored(t, "the failed pull")
}
