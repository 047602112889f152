package integration

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/image"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// TestPullRecordsEverySourceRepository: one image pulled from two
// repositories of a registry names both as where it came from (inspect's
// Identity), the second pull adding to what the first recorded.
func TestPullRecordsEverySourceRepository(t *testing.T) {
	t.Parallel()
	e := newImgEnv(t)
	img := seedImage(160)
	if _, err := fixtures.Push(e.ctx, e.reg.Host(), "origin/b", "v1", img); err != nil {
		t.Fatal(err)
	}
	e.pushPull("origin/a", "v1", img)
	e.pull(e.ref("origin/b", "v1"), nil)
	host, _, _ := strings.Cut(e.reg.Host(), ":")

	_, body := e.at("1.56", "GET", "/images/"+e.ref("origin/b", "v1")+"/json", nil)
	var insp image.InspectResponse
	if err := json.Unmarshal(body, &insp); err != nil || insp.Identity == nil {
		t.Fatalf("inspect: %v %s", err, body)
	}
	var got []string
	for _, p := range insp.Identity.Pull {
		got = append(got, p.Repository)
	}
	if want := []string{host + "/origin/a", host + "/origin/b"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("pulled from %v, want %v", got, want)
	}
}
