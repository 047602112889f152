package integration

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/jsonstream"
	"github.com/opencontainers/go-digest"

	"github.com/berth-dev/berth/testutil/fixtures"
	testregistry "github.com/berth-dev/berth/testutil/registry"
)

// overlaySnapshotDirs lists the snapshot directories of berthd's overlayfs
// snapshotter. Their names are sequence numbers: every snapshot ever
// created takes the next one, so {1…n} means n snapshots were created.
func overlaySnapshotDirs(t *testing.T, root string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(root, "containerd", "snapshots", "overlayfs", "snapshots"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	slices.SortFunc(out, func(a, b string) int {
		x, _ := strconv.Atoi(a)
		y, _ := strconv.Atoi(b)
		return x - y
	})
	return out
}

// TestConcurrentPullsUnpackOnce runs 10 pulls of one 4-layer image at once
// through the API while the first download of one layer is held back: the
// other pulls show "Waiting" for it, all succeed, the registry serves each
// blob once, and each layer's snapshot is created once (4 snapshots ever).
func TestConcurrentPullsUnpackOnce(t *testing.T) {
	t.Parallel()
	e := newPullEnv(t)
	const repo = "conc/once"
	img := fixtures.Image{}
	for i := range 4 {
		img.Layers = append(img.Layers, fixtures.Layer{Seed: int64(300 + i), Size: 2 << 20, NumFiles: 64})
	}
	built := e.push(repo, "latest", img)
	held := built.Layers[2]
	stall := e.reg.StallBlob(repo, held.Digest, held.Size/2)
	e.reg.ResetRequests()

	const pulls = 10
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		waiting = map[int]bool{}
		streams = make([][]jsonstream.Message, pulls)
		status  = make([]int, pulls)
	)
	for i := range pulls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := postPull(e.d, e.reg.Host()+"/"+repo, "latest")
			if err != nil {
				t.Errorf("pull %d: %v", i, err)
				return
			}
			defer resp.Body.Close()
			status[i] = resp.StatusCode
			sc := bufio.NewScanner(resp.Body)
			sc.Split(splitCRLF)
			for sc.Scan() {
				var m jsonstream.Message
				if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
					t.Errorf("pull %d: bad line %q: %v", i, sc.Bytes(), err)
					return
				}
				mu.Lock()
				streams[i] = append(streams[i], m)
				if m.Status == "Waiting" && m.ID == held.Digest.Encoded()[:12] {
					waiting[i] = true
				}
				mu.Unlock()
			}
		}()
	}
	select {
	case <-stall.Reached():
	case <-time.After(30 * time.Second):
		t.Fatal("no pull reached the held-back layer")
	}
	// Every other pull comes to wait for the one downloading the layer.
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(waiting)
		mu.Unlock()
		if n >= pulls-1 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("%d pulls showed Waiting for layer %s, want %d", n, held.Digest, pulls-1)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	stall.Release()
	wg.Wait()

	for i := range pulls {
		if status[i] != http.StatusOK {
			t.Errorf("pull %d: status %d", i, status[i])
		}
		last := ""
		for _, m := range streams[i] {
			if m.Error != nil {
				t.Errorf("pull %d failed: %s", i, m.Error.Message)
			}
			if m.ID == held.Digest.Encoded()[:12] {
				last = m.Status
			}
		}
		if last != "Pull complete" {
			t.Errorf("pull %d: the held-back layer's last line is %q, want Pull complete", i, last)
		}
	}
	for _, d := range allDigests(built) {
		if n := e.reg.Count(http.MethodGet, testregistry.BlobPath(repo, d)); n != 1 {
			t.Errorf("blob %s fetched %d times, want once", d, n)
		}
	}
	// The start-up reconciliation prepares and removes one snapshot, so the
	// numbering does not start at 1; the count is what says "once".
	if dirs := overlaySnapshotDirs(t, e.d.DataRoot()); len(dirs) != 4 {
		t.Errorf("snapshot directories %v: want each of the 4 layers unpacked once (4 directories)", dirs)
	}
}

// allDigests are the config and layer digests of an image.
func allDigests(b *fixtures.BuiltImage) []digest.Digest {
	return append([]digest.Digest{b.ConfigDigest}, b.LayerDigests()...)
}
