package integration

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// blobBytes sums the sizes of the blobs in berthd's content store.
func (e *imgEnv) blobBytes() int64 {
	e.t.Helper()
	dir := filepath.Join(e.d.DataRoot(), "containerd", "content", "blobs", "sha256")
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		e.t.Fatal(err)
	}
	var n int64
	for _, ent := range entries {
		info, err := ent.Info()
		if err != nil {
			e.t.Fatal(err)
		}
		n += info.Size()
	}
	return n
}

// TestImagePruneReport prunes everything with the SDK: the report lists
// every name and blob, SpaceReclaimed is at least every blob byte and
// includes the snapshots.
func TestImagePruneReport(t *testing.T) {
	t.Parallel()
	e := newImgEnv(t)
	e.pushPull("p/a", "1", fixtures.Image{Layers: []fixtures.Layer{{Seed: 110, Size: 300 << 10}}})
	e.pushPull("p/b", "1", seedImage(111))
	blobs := e.blobBytes()

	res, err := e.api.ImagePrune(e.ctx, client.ImagePruneOptions{Filters: make(client.Filters).Add("dangling", "false")})
	if err != nil {
		t.Fatal(err)
	}
	var untagged, deleted int
	for _, d := range res.Report.ImagesDeleted {
		if d.Untagged != "" {
			untagged++
		}
		if d.Deleted != "" {
			deleted++
		}
	}
	if untagged != 2 || deleted != 6 {
		t.Errorf("report %+v: want 2 untagged and 6 deleted blobs", res.Report.ImagesDeleted)
	}
	if left := e.blobBytes(); left != 0 {
		t.Errorf("%d blob bytes left", left)
	}
	// Blobs plus snapshots: the 300 KiB layer alone unpacks to ≥ 300 KiB.
	if got := int64(res.Report.SpaceReclaimed); got < blobs+300<<10 {
		t.Errorf("SpaceReclaimed %d, want blobs (%d) plus the unpacked layers", got, blobs)
	}
}

// TestImagePruneConcurrent sends prunes at once: one runs, the others get
// dockerd's 409 "a prune operation is already running", and nothing is
// deleted twice.
func TestImagePruneConcurrent(t *testing.T) {
	t.Parallel()
	e := newImgEnv(t)
	for i := range 12 {
		e.pushPull("c/img", string(rune('a'+i)), seedImage(int64(120+i)))
	}
	const n = 8
	var (
		wg        sync.WaitGroup
		start     = make(chan struct{})
		mu        sync.Mutex
		conflicts int
		untagged  = map[string]int{}
		errs      []error
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, err := e.api.ImagePrune(e.ctx, client.ImagePruneOptions{Filters: make(client.Filters).Add("dangling", "false")})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				for _, d := range res.Report.ImagesDeleted {
					if d.Untagged != "" {
						untagged[d.Untagged]++
					}
				}
			case cerrdefs.IsConflict(err) && strings.Contains(err.Error(), "a prune operation is already running"):
				conflicts++
			default:
				errs = append(errs, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("unexpected errors: %v", errs)
	}
	if conflicts == 0 {
		t.Errorf("%d simultaneous prunes, no 409", n)
	}
	if len(untagged) != 12 {
		t.Errorf("untagged %v, want the 12 tags", untagged)
	}
	for name, c := range untagged {
		if c != 1 {
			t.Errorf("%s untagged %d times", name, c)
		}
	}
	status, body := e.raw("POST", "/images/prune", url.Values{"filters": {`{"reference":{"x":true}}`}})
	if status != 400 || !strings.Contains(body, "invalid filter 'reference'") {
		t.Errorf("prune with a list-only filter: %d %s", status, body)
	}
}
