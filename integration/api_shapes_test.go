package integration

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/events"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// TestResponsesMatchSwagger checks every image and system response berthd
// gives at API 1.40, 1.44, 1.50 and the newest against moby's swagger.yaml
// of that version: required fields there, no field the version does not
// have, types right, null only where the spec allows it.
func TestResponsesMatchSwagger(t *testing.T) {
	e := newImgEnv(t)
	_, err := fixtures.PushIndex(e.ctx, e.reg.Host(), "shape/multi", "v1", fixtures.Index{Manifests: fixtures.Platforms("linux/amd64", "linux/arm64"), Attestations: true})
	if err != nil {
		t.Fatal(err)
	}
	e.pull(e.ref("shape/multi", "v1"), nil)
	img := seedImage(140)
	img.Labels = map[string]string{"tier": "web"}
	e.pushPull("shape/single", "v1", img)
	name := e.ref("shape/single", "v1")
	start := time.Now()

	for _, v := range []string{"1.40", "1.44", "1.50", "1.56"} {
		t.Run("v"+v, func(t *testing.T) {
			spec := loadSpec(t, v)
			check := func(method, swaggerPath, path string, query url.Values, wantStatus int) []byte {
				t.Helper()
				status, body := e.at(v, method, path, query)
				if status != wantStatus {
					t.Fatalf("%s %s: %d %s, want %d", method, path, status, body, wantStatus)
				}
				schema := spec.responseSchema(t, method, swaggerPath, status)
				if schema == nil {
					return body
				}
				for _, msg := range spec.check(schema, body) {
					t.Errorf("%s %s?%s: %s", method, path, query.Encode(), msg)
				}
				return body
			}
			check("GET", "/version", "/version", nil, 200)
			check("GET", "/info", "/info", nil, 200)
			check("GET", "/images/json", "/images/json", nil, 200)
			check("GET", "/images/json", "/images/json", url.Values{"all": {"1"}, "shared-size": {"1"}, "manifests": {"1"}}, 200)
			for _, n := range []string{name, e.ref("shape/multi", "v1")} {
				check("GET", "/images/{name}/json", "/images/"+n+"/json", nil, 200)
				check("GET", "/images/{name}/history", "/images/"+n+"/history", nil, 200)
			}
			check("GET", "/images/{name}/json", "/images/nope/json", nil, 404)
			tag := "shape/copy" + strings.ReplaceAll(v, ".", "")
			check("POST", "/images/{name}/tag", "/images/"+name+"/tag", url.Values{"repo": {tag}, "tag": {"x"}}, 201)
			check("DELETE", "/images/{name}", "/images/"+tag+":x", nil, 200)
			check("POST", "/images/prune", "/images/prune", nil, 200)
			for _, area := range []string{"/containers", "/networks", "/volumes", "/build"} {
				check("POST", area+"/prune", area+"/prune", nil, 200)
			}
			check("GET", "/images/search", "/images/search", url.Values{"term": {"x"}, "filters": {`{"bogus":["1"]}`}}, 400)

			// Events are a stream of EventMessage objects.
			_, body := e.at(v, "GET", "/events", url.Values{
				"since": {strconv.FormatInt(start.Add(-time.Minute).Unix(), 10)},
				"until": {strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10)},
			})
			stream := strings.Split(strings.TrimSpace(string(body)), "\n")
			if len(stream) < 2 {
				t.Fatalf("events: %q", body)
			}
			msgSchema := map[string]any{"$ref": "#/definitions/EventMessage"}
			var legacy []deviation
			if v != "1.56" {
				// Deprecated in API 1.22, undocumented, sent until 1.52.
				legacy = []deviation{{"$.status", "extra"}, {"$.id", "extra"}}
			}
			for _, ev := range stream {
				var m events.Message
				if err := json.Unmarshal([]byte(ev), &m); err != nil {
					t.Fatalf("event %s: %v", ev, err)
				}
				// dockerd's legacy fields are for image and container
				// events, and left out when empty (a prune has no ID).
				legacyType := m.Type == events.ImageEventType || m.Type == events.ContainerEventType
				if v != "1.56" && legacyType && (!strings.Contains(ev, `"status":"`) || (m.Actor.ID != "") != strings.Contains(ev, `"id":`)) {
					t.Errorf("event without the legacy status and id: %s", ev)
				}
				if !legacyType && strings.Contains(ev, `"status":`) {
					t.Errorf("%s event with the legacy status: %s", m.Type, ev)
				}
				for _, msg := range spec.check(msgSchema, []byte(ev), legacy...) {
					t.Errorf("event %s: %s", ev, msg)
				}
			}
		})
	}
}
