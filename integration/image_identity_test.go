package integration

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/image"
)

// TestImageIdentity: GET /images/json?identity=1 needs manifests=1 (400
// otherwise, as dockerd), and then every available image manifest carries
// the repositories the image was pulled from; inspect has them from API
// 1.53 on, and not before.
func TestImageIdentity(t *testing.T) {
	e := newImgEnv(t)
	e.pushPull("origin/app", "v1", seedImage(150))
	ref := e.reg.Host() + "/origin/app"
	// containerd records the source registry by host name, without the
	// port, so dockerd's Identity shows it so too.
	host, _, _ := strings.Cut(e.reg.Host(), ":")
	repo := host + "/origin/app"

	status, body := e.at("1.56", "GET", "/images/json", url.Values{"identity": {"1"}})
	if status != 400 || !strings.Contains(string(body), `"conflicting options: identity requires manifests=1"`) {
		t.Errorf("identity without manifests: %d %s", status, body)
	}
	// Before API 1.54 the parameter does not exist, so it is no error.
	if status, body := e.at("1.53", "GET", "/images/json", url.Values{"identity": {"1"}}); status != 200 {
		t.Errorf("identity=1 at API 1.53: %d %s", status, body)
	}

	status, body = e.at("1.56", "GET", "/images/json", url.Values{"identity": {"1"}, "manifests": {"1"}})
	var list []image.Summary
	if err := json.Unmarshal(body, &list); status != 200 || err != nil || len(list) != 1 {
		t.Fatalf("identity=1&manifests=1: %d %s", status, body)
	}
	var found bool
	for _, m := range list[0].Manifests {
		if m.Kind != image.ManifestKindImage {
			continue
		}
		if m.ImageData == nil || m.ImageData.Identity == nil || len(m.ImageData.Identity.Pull) != 1 || m.ImageData.Identity.Pull[0].Repository != repo {
			t.Errorf("manifest %s identity: %+v, want pulled from %s", m.ID, m.ImageData, repo)
		}
		found = true
	}
	if !found {
		t.Fatalf("no image manifest listed: %s", body)
	}

	_, body = e.at("1.56", "GET", "/images/"+ref+":v1/json", nil)
	var insp image.InspectResponse
	if err := json.Unmarshal(body, &insp); err != nil || insp.Identity == nil || len(insp.Identity.Pull) != 1 || insp.Identity.Pull[0].Repository != repo {
		t.Errorf("inspect identity: %s", body)
	}
	if _, body = e.at("1.52", "GET", "/images/"+ref+":v1/json", nil); strings.Contains(string(body), `"Identity"`) {
		t.Errorf("inspect at API 1.52 has Identity: %s", body)
	}
}
