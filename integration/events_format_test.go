package integration

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestEventsContentNegotiation: /events answers in the stream format the
// client asks for in Accept (JSON lines, NDJSON or RFC 7464 JSON text
// sequences), else JSON lines, or "application/json" below API 1.52, as
// dockerd.
func TestEventsContentNegotiation(t *testing.T) {
	e := newImgEnv(t)
	start := time.Now()
	e.pushPull("evfmt/app", "v1", seedImage(170))
	q := url.Values{
		"since": {strconv.FormatInt(start.Add(-time.Second).Unix(), 10)},
		"until": {strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10)},
	}
	for _, tc := range []struct {
		version, accept, want string
	}{
		{"1.56", "", "application/jsonl"},
		{"1.50", "", "application/json"},
		{"1.56", "application/x-ndjson", "application/x-ndjson"},
		{"1.56", "application/json-seq;q=0.5, application/x-ndjson;q=0.9", "application/x-ndjson"},
		{"1.56", "application/json-seq", "application/json-seq"},
		{"1.56", "*/*", "application/jsonl"},
	} {
		req, _ := http.NewRequestWithContext(e.ctx, http.MethodGet, "http://berthd/v"+tc.version+"/events?"+q.Encode(), nil)
		if tc.accept != "" {
			req.Header.Set("Accept", tc.accept)
		}
		resp, err := e.d.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := resp.Header.Get("Content-Type"); got != tc.want {
			t.Errorf("API %s, Accept %q: Content-Type %q, want %q", tc.version, tc.accept, got, tc.want)
		}
		seq := strings.HasPrefix(string(body), "\x1e{")
		if seq != (tc.want == "application/json-seq") || !strings.Contains(string(body), `"Action":"pull"`) {
			t.Errorf("API %s, Accept %q: body %q", tc.version, tc.accept, body)
		}
	}
}
