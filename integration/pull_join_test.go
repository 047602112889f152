package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/jsonstream"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// joinedPull is one API pull whose progress lines are collected as they
// arrive.
type joinedPull struct {
	mu     sync.Mutex
	lines  []jsonstream.Message
	status int
	err    error
	done   chan struct{}
}

// startJoinedPull posts a pull of image:tag under ctx and reads its stream
// in the background.
func startJoinedPull(ctx context.Context, e *pullEnv, image, tag string) *joinedPull {
	ps := &joinedPull{done: make(chan struct{})}
	go func() {
		defer close(ps.done)
		q := url.Values{"fromImage": {image}, "tag": {tag}}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://berthd/v1.50/images/create?"+q.Encode(), nil)
		if err != nil {
			ps.err = err
			return
		}
		resp, err := e.d.HTTPClient().Do(req)
		if err != nil {
			ps.err = err
			return
		}
		defer resp.Body.Close()
		ps.status = resp.StatusCode
		sc := bufio.NewScanner(resp.Body)
		sc.Split(splitCRLF)
		for sc.Scan() {
			var m jsonstream.Message
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				ps.err = err
				return
			}
			ps.mu.Lock()
			ps.lines = append(ps.lines, m)
			ps.mu.Unlock()
		}
		ps.err = sc.Err()
	}()
	return ps
}

// saw reports whether a line with id and status has arrived.
func (ps *joinedPull) saw(id, status string) bool {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for _, m := range ps.lines {
		if m.ID == id && m.Status == status {
			return true
		}
	}
	return false
}

// TestConcurrentPullsOutliveTheFirstClient starts a pull of an image and,
// while it downloads a held-back layer, two more pulls of the same image,
// which wait for it. The first client then goes away: its pull is
// cancelled, and the two others still bring the image, each stream ending
// as a pull's does.
func TestConcurrentPullsOutliveTheFirstClient(t *testing.T) {
	t.Parallel()
	e := newPullEnv(t)
	const repo = "conc/first-gone"
	img := fixtures.Image{Layers: []fixtures.Layer{{Seed: 310, Size: 256 << 10}, {Seed: 311, Size: 2 << 20, NumFiles: 8}}}
	built := e.push(repo, "latest", img)
	held := built.Layers[1]
	heldID := held.Digest.Encoded()[:12]
	stall := e.reg.StallBlob(repo, held.Digest, held.Size/2)

	firstCtx, cancelFirst := context.WithCancel(context.Background())
	defer cancelFirst()
	first := startJoinedPull(firstCtx, e, e.reg.Host()+"/"+repo, "latest")
	waitChan(t, "the first pull to reach the held-back layer", stall.Reached())

	others := []*joinedPull{
		startJoinedPull(context.Background(), e, e.reg.Host()+"/"+repo, "latest"),
		startJoinedPull(context.Background(), e, e.reg.Host()+"/"+repo, "latest"),
	}
	deadline := time.Now().Add(30 * time.Second)
	for !others[0].saw(heldID, "Waiting") || !others[1].saw(heldID, "Waiting") {
		if time.Now().After(deadline) {
			t.Fatal("the later pulls did not show Waiting for the held-back layer")
		}
		time.Sleep(20 * time.Millisecond)
	}

	cancelFirst()
	waitChan(t, "berthd to abandon the first pull's download", stall.ClientGone())
	<-first.done
	stall.Release()

	for i, ps := range others {
		waitChan(t, "a later pull to end", ps.done)
		if ps.err != nil || ps.status != http.StatusOK {
			t.Fatalf("pull %d: status %d, %v", i, ps.status, ps.err)
		}
		last := ""
		for _, m := range ps.lines {
			if m.Error != nil {
				t.Errorf("pull %d failed: %s", i, m.Error.Message)
			}
			if m.ID == heldID {
				last = m.Status
			}
		}
		if last != "Pull complete" {
			t.Errorf("pull %d: the held-back layer's last line is %q, want Pull complete", i, last)
		}
		if end := ps.lines[len(ps.lines)-1].Status; !strings.HasPrefix(end, "Status: Downloaded newer image for ") {
			t.Errorf("pull %d ends with %q", i, end)
		}
	}
	img2, err := e.api.ImageInspect(context.Background(), e.ref(repo, "latest"))
	if err != nil || img2.ID != built.Digest.String() {
		t.Errorf("inspect: %v %v, want %s", img2.ID, err, built.Digest)
	}
}

// waitChan waits up to 30 s for c to close.
func waitChan(t *testing.T, what string, c <-chan struct{}) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(30 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}
