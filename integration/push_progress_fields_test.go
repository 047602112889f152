package integration

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/berth-dev/berth/testutil/fixtures"
	"github.com/berth-dev/berth/testutil/registry"
)

// TestPushProgressFields: the "Pushing" lines of a push carry the rendered
// "progress" bar beside progressDetail for API versions before 1.52, as
// dockerd's stream formatter sent it on every progress stream, and no
// longer from 1.52 on (dockerd 29). Lines without numbers never have one.
func TestPushProgressFields(t *testing.T) {
	e := newImgEnv(t)
	built := e.pushPull("src/app", "v1", fixtures.Image{Layers: []fixtures.Layer{{Seed: 420, Size: 1 << 20, NumFiles: 2}}})
	id := built.Layers[0].Digest.Encoded()[:12]
	for _, tc := range []struct {
		version string
		wantBar bool
	}{{"1.51", true}, {"1.52", false}} {
		t.Run("v"+tc.version, func(t *testing.T) {
			// A registry of its own, read slowly: the layer is uploaded
			// (not mounted, not already there) and seen in flight.
			host, _ := slowUploads(t, registry.Start(t))
			if _, err := e.api.ImageTag(e.ctx, client.ImageTagOptions{Source: e.ref("src/app", "v1"), Target: host + "/dst/app:v1"}); err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequestWithContext(e.ctx, http.MethodPost, "http://berthd/v"+tc.version+"/images/"+host+"/dst/app/push?tag=v1", nil)
			req.Header.Set("X-Registry-Auth", "e30=") // {}
			resp, err := e.d.HTTPClient().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			msgs := rawMessages(t, resp.Body)
			var statuses []string
			bars := 0
			for _, m := range msgs {
				if m["errorDetail"] != nil {
					t.Fatalf("push failed: %v", m)
				}
				if m["id"] != id {
					continue
				}
				status, _ := m["status"].(string)
				statuses = append(statuses, status)
				bar, hasBar := m["progress"]
				detail, _ := m["progressDetail"].(map[string]any)
				switch {
				case len(detail) == 0 && hasBar:
					t.Errorf("%q has a progress string without numbers: %v", status, bar)
				case hasBar && !tc.wantBar:
					t.Errorf("API %s: %q has a progress string %v; dockerd 29 no longer sends it", tc.version, status, bar)
				case hasBar:
					s, _ := bar.(string)
					if status != "Pushing" || !strings.HasPrefix(s, "[") || !strings.Contains(s, ">") || !strings.Contains(s, "MB/") {
						t.Errorf("%q: progress string %q is not dockerd's rendered bar", status, s)
					}
					bars++
				}
			}
			if len(statuses) == 0 || statuses[len(statuses)-1] != "Pushed" || !slices.Contains(statuses, "Pushing") {
				t.Fatalf("layer statuses %q: want Pushing lines, then Pushed", statuses)
			}
			if tc.wantBar && bars == 0 {
				t.Errorf("API %s: no progress string on any Pushing line", tc.version)
			}
		})
	}
}
