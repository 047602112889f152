package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/testutil/berthd"
)

// TestFaultHugeJSONBodyIsRefused posts 2 MiB of JSON to /auth: berthd
// refuses it with a 400 naming the limit instead of buffering it, and keeps
// serving.
func TestFaultHugeJSONBodyIsRefused(t *testing.T) {
	d := berthd.Start(t)
	c := d.HTTPClient()
	body := append([]byte(`{"username":"`), bytes.Repeat([]byte("x"), 2<<20)...)
	body = append(body, `"}`...)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://berthd/auth", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var e struct{ Message string }
	_ = json.Unmarshal(raw, &e)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(e.Message, "request body too large") {
		t.Fatalf("POST /auth with 2 MiB: %d %s; want 400 \"request body too large…\"", resp.StatusCode, raw)
	}
	if rss, err := d.PeakRSS(); err == nil {
		t.Logf("figures: 2 MiB JSON to /auth: 400, berthd peak RSS %d MiB", rss>>20)
	}
	resp, err = d.HTTPClient().Get("http://berthd/_ping")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("berthd no longer answers: %v", err)
	}
	resp.Body.Close()
}
