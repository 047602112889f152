package integration

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/berth-dev/berth/testutil/berthd"
	"github.com/berth-dev/berth/testutil/fixtures"
)

// imageBytes is what a full pull of b downloads: config and layers.
func imageBytes(b *fixtures.BuiltImage) int64 {
	n := int64(len(b.Config))
	for _, l := range b.Layers {
		n += l.Size
	}
	return n
}

// largestIngest is the size of the largest partial download in berthd's
// content store.
func largestIngest(t *testing.T, d *berthd.Daemon) int64 {
	t.Helper()
	dir := filepath.Join(d.DataRoot(), "containerd", "content", "ingest")
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var n int64
	for _, e := range entries {
		if fi, err := os.Stat(filepath.Join(dir, e.Name(), "data")); err == nil {
			n = max(n, fi.Size())
		}
	}
	return n
}

// hasBlobs reports whether berthd's content store holds every digest.
func hasBlobs(t *testing.T, d *berthd.Daemon, ds []digest.Digest) bool {
	t.Helper()
	stored := map[string]bool{}
	for _, b := range storedBlobs(t, d) {
		stored[b] = true
	}
	for _, dg := range ds {
		if !stored[dg.Encoded()] {
			return false
		}
	}
	return true
}

// postPull starts POST /images/create for image:tag; unlike pullStream it
// may run outside the test's goroutine.
func postPull(d *berthd.Daemon, image, tag string) (*http.Response, error) {
	q := url.Values{"fromImage": {image}, "tag": {tag}}
	return d.HTTPClient().Post("http://berthd/v1.50/images/create?"+q.Encode(), "", nil)
}

// startPull starts a pull whose outcome the test does not wait for (the
// daemon is killed under it).
func startPull(t *testing.T, e *pullEnv, repo string) {
	t.Helper()
	go func() {
		resp, err := postPull(e.d, e.reg.Host()+"/"+repo, "latest")
		if err != nil {
			return // the daemon was killed
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}()
}

// pullAfterRestart pulls repo:latest, which must succeed, and returns the
// blob bytes the registry served for it.
func pullAfterRestart(t *testing.T, e *pullEnv, repo string) int64 {
	t.Helper()
	e.reg.ResetRequests()
	res := e.rawPull(t, pullQuery(e.reg.Host()+"/"+repo, "latest"), "")
	for _, m := range res.messages(t) {
		if m.Error != nil {
			t.Fatalf("pull after the restart failed: %s", m.Error.Message)
		}
	}
	return e.reg.BytesServed("/v2/" + repo + "/blobs/")
}

// TestPullResumesAfterKillMidDownload SIGKILLs berthd when half of the
// image has arrived: after the restart the pull resumes the partial download
// (Range from where it stopped) instead of starting over.
func TestPullResumesAfterKillMidDownload(t *testing.T) {
	t.Parallel()
	e := newPullEnv(t)
	const repo = "resume/download"
	built := e.push(repo, "latest", fixtures.Image{Layers: []fixtures.Layer{
		{Seed: 501, Size: 64 << 10}, {Seed: 502, Size: 8 << 20, NumFiles: 1},
	}})
	big := built.Layers[1]
	stall := e.reg.StallBlob(repo, big.Digest, big.Size/2)

	startPull(t, e, repo)
	select {
	case <-stall.Reached():
	case <-time.After(30 * time.Second):
		t.Fatal("the pull did not reach the middle of the layer")
	}
	// What arrived is on disk (written in 1 MiB chunks).
	deadline := time.Now().Add(20 * time.Second)
	for largestIngest(t, e.d) < big.Size/2-(1<<20) {
		if time.Now().After(deadline) {
			t.Fatalf("berthd stored %d bytes of the layer, want about %d", largestIngest(t, e.d), big.Size/2)
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.d.Kill()
	stall.Release()
	e.d.Restart()

	total := imageBytes(built)
	got := pullAfterRestart(t, e, repo)
	t.Logf("re-pull after a kill at 50%%: %d of %d bytes (%.2f×)", got, total, float64(got)/float64(total))
	if limit := total * 6 / 10; got > limit {
		t.Errorf("the re-pull downloaded %d bytes of a %d-byte image, want ≤ %d (0.6×)", got, total, limit)
	}
	if n := e.reg.Count(http.MethodGet, "/v2/"+repo+"/blobs/"+big.Digest.String()); n != 1 {
		t.Errorf("the interrupted layer was requested %d times, want once (resumed)", n)
	}
}

// TestPullResumesAfterKillDuringUnpack SIGKILLs berthd once every blob has
// arrived, while it unpacks (one layer of 20,000 files): the re-pull after
// the restart downloads no blob again.
func TestPullResumesAfterKillDuringUnpack(t *testing.T) {
	t.Parallel()
	e := newPullEnv(t)
	const repo = "resume/unpack"
	built := e.push(repo, "latest", fixtures.Image{Layers: []fixtures.Layer{
		{Seed: 511, Size: 32 << 10}, {Seed: 512, Size: 20000, NumFiles: 20000},
	}})
	startPull(t, e, repo)
	want := append([]digest.Digest{built.ConfigDigest}, built.LayerDigests()...)
	deadline := time.Now().Add(30 * time.Second)
	for !hasBlobs(t, e.d, want) {
		if time.Now().After(deadline) {
			t.Fatal("the blobs did not all arrive")
		}
		time.Sleep(2 * time.Millisecond)
	}
	// A blob's file is renamed into place just before its record is
	// committed (a bolt transaction, slower while the unpack writes); a
	// kill in between loses the blob. The 20,000-file layer is applied as
	// it downloads and still has far more than this left to do.
	time.Sleep(100 * time.Millisecond)
	e.d.Kill()
	e.d.Restart()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := e.api.ImageInspect(ctx, e.reg.Host()+"/"+repo+":latest"); err == nil {
		t.Fatal("the image was recorded before the kill: the kill did not come during unpacking")
	}

	got := pullAfterRestart(t, e, repo)
	t.Logf("re-pull after a kill during unpack: %d of %d blob bytes", got, imageBytes(built))
	if got != 0 {
		t.Errorf("the re-pull downloaded %d blob bytes again, want 0", got)
	}
}
