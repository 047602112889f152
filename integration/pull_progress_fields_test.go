package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/berth-dev/berth/testutil/berthd"
	"github.com/berth-dev/berth/testutil/fixtures"
	"github.com/berth-dev/berth/testutil/registry"
)

// rawPull pulls image:tag at API version v and returns every message of the
// stream as a JSON object, exactly as sent.
func rawPull(t *testing.T, d *berthd.Daemon, v, image, tag string) []map[string]json.RawMessage {
	t.Helper()
	q := url.Values{"fromImage": {image}, "tag": {tag}}
	req, _ := http.NewRequest(http.MethodPost, "http://berth/v"+v+"/images/create?"+q.Encode(), nil)
	resp, err := d.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var msgs []map[string]json.RawMessage
	sc := bufio.NewScanner(resp.Body)
	sc.Split(splitCRLF)
	for sc.Scan() {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not a JSON object: %q", sc.Text())
		}
		if _, failed := m["errorDetail"]; failed {
			t.Fatalf("pull failed: %s", sc.Text())
		}
		msgs = append(msgs, m)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return msgs
}

// TestPullProgressFields checks the fields of every layer line as dockerd
// sends them: each carries a progressDetail object ("{}" without numbers,
// which is what keeps the line in place in a terminal), and the rendered
// "progress" bar string is there for API versions before 1.52 only.
func TestPullProgressFields(t *testing.T) {
	reg := registry.Start(t)
	d := berthd.Start(t)
	img := fixtures.Image{Layers: []fixtures.Layer{{Seed: 31, Size: 3 << 20, NumFiles: 2}, {Seed: 32, Size: 1 << 20}}}
	if _, err := fixtures.Push(context.Background(), reg.Host(), "team/fields", "v1", img); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		version      string
		wantProgress bool
	}{{"1.50", true}, {"1.51", true}, {"1.52", false}, {"1.56", false}} {
		t.Run("v"+tc.version, func(t *testing.T) {
			// Remove the image so every layer is pulled again.
			req, _ := http.NewRequest(http.MethodDelete, "http://berth/images/"+reg.Host()+"/team/fields:v1", nil)
			if resp, err := d.HTTPClient().Do(req); err == nil {
				resp.Body.Close()
			}
			msgs := rawPull(t, d, tc.version, reg.Host()+"/team/fields", "v1")
			statuses := map[string]bool{}
			sawBar := false
			for _, m := range msgs {
				var id, status string
				_ = json.Unmarshal(m["id"], &id)
				_ = json.Unmarshal(m["status"], &status)
				if id == "" || strings.HasPrefix(status, "Pulling from ") {
					if _, ok := m["progressDetail"]; ok {
						t.Errorf("message without a layer has progressDetail: %v", m)
					}
					continue
				}
				statuses[status] = true
				detail, ok := m["progressDetail"]
				if !ok || detail[0] != '{' {
					t.Errorf("layer line %q of %s has no progressDetail object", status, id)
				}
				bar, hasBar := m["progress"]
				switch {
				case string(detail) == "{}" && hasBar:
					t.Errorf("%q has a progress string without numbers: %s", status, bar)
				case hasBar && !tc.wantProgress:
					t.Errorf("API %s: %q has a progress string %s; dockerd 29 no longer sends it", tc.version, status, bar)
				case hasBar:
					var s string
					_ = json.Unmarshal(bar, &s)
					if !strings.HasPrefix(s, "[") || !strings.Contains(s, ">") || !strings.Contains(s, "MB") {
						t.Errorf("progress string %q is not dockerd's rendered bar", s)
					}
					sawBar = true
				}
			}
			for _, s := range []string{"Pulling fs layer", "Download complete", "Pull complete"} {
				if !statuses[s] {
					t.Errorf("no %q line; saw %v", s, statuses)
				}
			}
			if tc.wantProgress && !sawBar {
				t.Errorf("API %s: no progress string on any line", tc.version)
			}
		})
	}
}
