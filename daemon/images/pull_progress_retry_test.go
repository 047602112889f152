package images

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/distribution"
)

// TestPullProgressRetry: a retry the transport announces puts "Retrying
// in N seconds" on the layer's line, counting down, and the line shows
// "Downloading" again once bytes beyond the interruption arrive, even
// though the numbers were shown before.
func TestPullProgressRetry(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	data := []byte("a layer whose download is interrupted halfway through")
	l := layerDesc(data)
	id := shortID(l.Digest)
	rec := &progressLines{}
	p := newPullProgress(rec, s.content, s.snapshotService())
	p.setLayers(ctx, []ocispec.Descriptor{l}, nil)
	expectLines(t, rec, id+" Pulling fs layer")

	// A 503 before any byte: the line says so and counts down.
	now := time.Now()
	p.retrying(l.Digest, distribution.Retry{Delay: 2500 * time.Millisecond, Err: errors.New("503")}, now)
	expectLines(t, rec, id+" Retrying in 3 seconds")
	p.mu.Lock()
	p.countDown(p.layers[0], now.Add(1600*time.Millisecond))
	p.countDown(p.layers[0], now.Add(2*time.Second))
	p.countDown(p.layers[0], now.Add(10*time.Second))
	p.mu.Unlock()
	expectLines(t, rec, id+" Retrying in 1 second")

	w, err := content.OpenWriter(ctx, s.content, content.WithRef("layer-"+l.Digest.String()), content.WithDescriptor(l))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	half := len(data) / 2
	if _, err := w.Write(data[:half]); err != nil {
		t.Fatal(err)
	}
	p.sample(ctx)
	expectLines(t, rec, fmt.Sprintf("%s Downloading %d/%d", id, half, len(data)))

	// Interrupted at half: the line counts down and keeps its retry line
	// while nothing new arrives.
	p.retrying(l.Digest, distribution.Retry{Offset: int64(half), Delay: 500 * time.Millisecond}, time.Now())
	expectLines(t, rec, id+" Retrying in 1 second")
	p.sample(ctx)
	expectLines(t, rec)
	if _, err := w.Write(data[half : half+1]); err != nil {
		t.Fatal(err)
	}
	p.sample(ctx)
	expectLines(t, rec, fmt.Sprintf("%s Downloading %d/%d", id, half+1, len(data)))

	// Blobs that are not layers of the pull have no line.
	p.retrying(layerDesc([]byte("config")).Digest, distribution.Retry{Delay: time.Second}, time.Now())
	expectLines(t, rec)
}
