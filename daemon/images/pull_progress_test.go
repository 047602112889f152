package images

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/distribution/schema1"
)

// progressLines records progress messages as "<id> <status> [cur/total]".
type progressLines struct {
	mu    sync.Mutex
	lines []string
}

func (r *progressLines) WriteMessage(m jsonstream.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	line := m.ID + " " + m.Status
	if m.Progress != nil {
		line += fmt.Sprintf(" %d/%d", m.Progress.Current, m.Progress.Total)
	}
	r.lines = append(r.lines, line)
	return nil
}

// take returns the lines so far and forgets them.
func (r *progressLines) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.lines
	r.lines = nil
	return out
}

func expectLines(t *testing.T, rec *progressLines, want ...string) {
	t.Helper()
	if got := rec.take(); !slices.Equal(got, want) {
		t.Fatalf("progress lines\n got %q\nwant %q", got, want)
	}
}

func layerDesc(data []byte) ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: digest.FromBytes(data), Size: int64(len(data))}
}

// TestPullProgressStates walks one layer through dockerd's states as the
// content store sees it: queued, partly downloaded, committed, and done at
// finish; a layer present before the pull shows "Already exists" only.
func TestPullProgressStates(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	present := putBlob(t, s, ocispec.MediaTypeImageLayerGzip, []byte("present layer"), nil)
	data := []byte("a layer being downloaded, in two halves")
	missing := layerDesc(data)
	rec := &progressLines{}
	p := newPullProgress(rec, s.content, s.snapshotService())

	p.setLayers(ctx, []ocispec.Descriptor{present, missing}, nil)
	expectLines(t, rec, shortID(present.Digest)+" Already exists", shortID(missing.Digest)+" Pulling fs layer")

	// An ingest under containerd's key for layers is a download.
	w, err := content.OpenWriter(ctx, s.content, content.WithRef("layer-"+missing.Digest.String()), content.WithDescriptor(missing))
	if err != nil {
		t.Fatal(err)
	}
	half := len(data) / 2
	if _, err := w.Write(data[:half]); err != nil {
		t.Fatal(err)
	}
	id := shortID(missing.Digest)
	p.sample(ctx)
	expectLines(t, rec, fmt.Sprintf("%s Downloading %d/%d", id, half, len(data)))
	p.sample(ctx)
	expectLines(t, rec) // nothing changed: nothing sent

	if _, err := w.Write(data[half:]); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(ctx, missing.Size, missing.Digest); err != nil {
		t.Fatal(err)
	}
	w.Close()
	// Committed: the ingest is gone and the blob is there.
	p.sample(ctx)
	expectLines(t, rec, id+" Download complete")

	p.extractProgress(missing, 7)
	p.sample(ctx)
	expectLines(t, rec, fmt.Sprintf("%s Extracting 7/%d", id, len(data)))

	p.finish(ctx, true)
	expectLines(t, rec, id+" Pull complete")
}

// TestPullProgressAllPresent: a pull of layers all present prints no layer
// line at all, as dockerd; a failed pull prints no completion.
func TestPullProgressAllPresent(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	a := putBlob(t, s, ocispec.MediaTypeImageLayerGzip, []byte("a"), nil)
	b := putBlob(t, s, ocispec.MediaTypeImageLayerGzip, []byte("b"), nil)
	rec := &progressLines{}
	p := newPullProgress(rec, s.content, s.snapshotService())
	p.track(ctx, []ocispec.Descriptor{a, b}, nil)
	p.finish(ctx, true)
	expectLines(t, rec)

	missing := layerDesc([]byte("never downloaded"))
	p = newPullProgress(rec, s.content, s.snapshotService())
	p.track(ctx, []ocispec.Descriptor{missing}, nil)
	p.finish(ctx, false)
	expectLines(t, rec, shortID(missing.Digest)+" Pulling fs layer")
}

// TestPullProgressLayerEvents: a format that downloads layers itself
// (schema 1) reports events; "Already exists" is held back until a layer
// needs downloading, and after adopt only downloaded layers complete.
func TestPullProgressLayerEvents(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	rec := &progressLines{}
	p := newPullProgress(rec, s.content, s.snapshotService())
	present, fetched := layerDesc([]byte("present")), layerDesc([]byte("fetched"))
	pid, fid := shortID(present.Digest), shortID(fetched.Digest)

	p.LayerProgress(schema1.ProgressEvent{Kind: schema1.LayerExists, Digest: present.Digest})
	expectLines(t, rec)
	p.LayerProgress(schema1.ProgressEvent{Kind: schema1.LayerQueued, Digest: fetched.Digest, Total: -1})
	expectLines(t, rec, pid+" Already exists", fid+" Pulling fs layer")
	p.LayerProgress(schema1.ProgressEvent{Kind: schema1.LayerDownloading, Digest: fetched.Digest, Current: 3, Total: -1})
	p.LayerProgress(schema1.ProgressEvent{Kind: schema1.LayerDownloaded, Digest: fetched.Digest, Current: 7, Total: 7})
	expectLines(t, rec, fid+" Downloading 3/0", fid+" Download complete")

	p.adopt(ctx, []ocispec.Descriptor{present, fetched}, nil)
	p.finish(ctx, true)
	expectLines(t, rec, fid+" Pull complete")

	// Nothing to download: nothing shown.
	p = newPullProgress(rec, s.content, s.snapshotService())
	p.LayerProgress(schema1.ProgressEvent{Kind: schema1.LayerExists, Digest: present.Digest})
	p.adopt(ctx, []ocispec.Descriptor{present}, nil)
	p.finish(ctx, true)
	expectLines(t, rec)
}
