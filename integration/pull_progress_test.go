package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/jsonstream"

	"github.com/berth-dev/berth/testutil/berthd"
	"github.com/berth-dev/berth/testutil/fixtures"
	"github.com/berth-dev/berth/testutil/registry"
)

// pullStream starts POST /images/create and returns the response.
func pullStream(t *testing.T, d *berthd.Daemon, image, tag string) *http.Response {
	t.Helper()
	q := url.Values{"fromImage": {image}, "tag": {tag}}
	req, _ := http.NewRequest(http.MethodPost, "http://berth/v1.50/images/create?"+q.Encode(), nil)
	resp, err := d.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestPullProgressBytes checks the byte counts a progress bar is drawn from:
// "Downloading" while a layer is in flight (stalled half-way here) and
// "Extracting" in bytes of the layer (dockerd only sends seconds).
func TestPullProgressBytes(t *testing.T) {
	reg := registry.Start(t)
	d := berthd.Start(t)
	ctx := context.Background()
	img := fixtures.Image{Layers: []fixtures.Layer{{Seed: 1, Size: 2 << 20, NumFiles: 2}}}
	built, err := fixtures.Push(ctx, reg.Host(), "team/progress", "v1", img)
	if err != nil {
		t.Fatal(err)
	}
	layer := built.Layers[0]
	stall := reg.StallBlob("team/progress", layer.Digest, layer.Size/2)

	resp := pullStream(t, d, reg.Host()+"/team/progress", "v1")
	defer resp.Body.Close()
	id := layer.Digest.Encoded()[:12]
	var msgs []jsonstream.Message
	sc := bufio.NewScanner(resp.Body)
	sc.Split(splitCRLF)
	released := false
	for sc.Scan() {
		var m jsonstream.Message
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not a JSON message: %q", sc.Text())
		}
		msgs = append(msgs, m)
		if !released && m.ID == id && m.Status == "Downloading" {
			select {
			case <-stall.Reached():
			case <-time.After(10 * time.Second):
				t.Fatal("stall not reached")
			}
			if m.Progress == nil || m.Progress.Current <= 0 || m.Progress.Current > layer.Size || m.Progress.Total != layer.Size {
				t.Fatalf("Downloading progress %+v, want current in (0,%d] and total %d", m.Progress, layer.Size, layer.Size)
			}
			stall.Release()
			released = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if !released {
		t.Fatalf("no Downloading message for %s: %+v", id, msgs)
	}
	var sawExtract, sawComplete bool
	for _, m := range msgs {
		if m.Error != nil {
			t.Fatalf("pull failed: %s", m.Error.Message)
		}
		if m.ID != id {
			continue
		}
		switch m.Status {
		case "Extracting":
			if sawComplete {
				t.Error("Extracting after Pull complete")
			}
			if m.Progress == nil || m.Progress.Total != layer.Size || m.Progress.Current > layer.Size || m.Progress.Units != "" {
				t.Errorf("Extracting progress %+v, want bytes of %d", m.Progress, layer.Size)
			}
			sawExtract = true
		case "Pull complete":
			sawComplete = true
		}
	}
	if !sawExtract || !sawComplete {
		t.Errorf("extract %v, complete %v: %+v", sawExtract, sawComplete, msgs)
	}
	last := msgs[len(msgs)-1]
	if !strings.HasPrefix(last.Status, "Status: Downloaded newer image for ") {
		t.Errorf("last message %+v", last)
	}
}

// splitCRLF splits the stream at "\r\n", failing on objects not followed
// by it (dockerd's framing).
func splitCRLF(data []byte, atEOF bool) (int, []byte, error) {
	if i := strings.Index(string(data), "\r\n"); i >= 0 {
		return i + 2, data[:i], nil
	}
	if atEOF && len(data) > 0 {
		return 0, nil, fmt.Errorf("stream ends with an object not followed by \\r\\n: %q", data)
	}
	return 0, nil, nil
}
