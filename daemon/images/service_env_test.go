package images

import (
	"bytes"
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	eventtypes "github.com/moby/moby/api/types/events"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/api/types/filters"
	"github.com/berth-dev/berth/daemon/events"
	"github.com/berth-dev/berth/testutil/fixtures"
)

// serviceEnv is the image service over a real embedded storage (content
// store, bbolt metadata, native snapshotter, GC) in a temporary directory,
// with a real event log: what the daemon runs, without the API and the
// registry.
type serviceEnv struct {
	t      *testing.T
	ctx    context.Context
	s      *ImageService
	events *events.Log
}

func newServiceEnv(t *testing.T) *serviceEnv {
	t.Helper()
	ev := events.New(0)
	s := newTestServiceWith(t, Config{Events: ev})
	t.Cleanup(ev.Close)
	return &serviceEnv{t: t, ctx: log.WithLogger(context.Background(), quietLogger()), s: s, events: ev}
}

// add stores img's blobs (with the GC references a pull sets) and one
// record per name pointing at its manifest; a name "" makes the dangling
// record. created is the records' creation time.
func (ts *serviceEnv) add(img fixtures.Image, created time.Time, names ...string) *fixtures.BuiltImage {
	ts.t.Helper()
	b, err := img.Build()
	if err != nil {
		ts.t.Fatal(err)
	}
	c := ts.s.client
	ctx, done, err := c.WithLease(ts.ctx)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer done(ts.ctx)
	write := func(mediaType string, data []byte, labels map[string]string) {
		desc := ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(data), Size: int64(len(data))}
		if err := content.WriteBlob(ctx, ts.s.content, desc.Digest.String(), bytes.NewReader(data), desc, content.WithLabels(labels)); err != nil {
			ts.t.Fatal(err)
		}
	}
	write(b.ConfigMediaType, b.Config, nil)
	refs := map[string]string{"containerd.io/gc.ref.content.config": b.ConfigDigest.String()}
	for i, l := range b.Layers {
		write(l.MediaType, l.Blob, nil)
		refs["containerd.io/gc.ref.content.l."+strconv.Itoa(i)] = l.Digest.String()
	}
	write(b.MediaType, b.Manifest, refs)
	for _, name := range names {
		rec := c8dimages.Image{Name: name, Target: b.Descriptor(), CreatedAt: created}
		if name == "" {
			rec.Name = danglingName(b.Digest)
		}
		if _, err := ts.s.images.Create(ctx, rec); err != nil {
			ts.t.Fatal(err)
		}
	}
	return b
}

// blobs reports which of ds the content store holds.
func (ts *serviceEnv) present(ds ...digest.Digest) map[digest.Digest]bool {
	ts.t.Helper()
	out := map[digest.Digest]bool{}
	for _, d := range ds {
		_, err := ts.s.content.Info(ts.ctx, d)
		if err != nil && !errdefs.IsNotFound(err) {
			ts.t.Fatal(err)
		}
		out[d] = err == nil
	}
	return out
}

// pastEvents returns the events logged so far.
func (ts *serviceEnv) pastEvents() []eventtypes.Message {
	past, _, cancel := ts.events.Subscribe(time.Unix(1, 0), time.Now().Add(time.Second), filters.Args{})
	cancel()
	return past
}

// allBlobs lists a built image's blobs: manifest, config, layers.
func allBlobs(b *fixtures.BuiltImage) []digest.Digest {
	return append([]digest.Digest{b.Digest, b.ConfigDigest}, b.LayerDigests()...)
}
