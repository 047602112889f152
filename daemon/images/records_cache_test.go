package images

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/content"
	c8dimages "github.com/containerd/containerd/v2/core/images"
	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/opencontainers/image-spec/identity"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/api/types/backend"
	"github.com/berth-dev/berth/testutil/fixtures"
)

// countingLister counts the full (unfiltered) listings of the record store
// it wraps.
type countingLister struct {
	c8dimages.Store
	lists atomic.Int64
}

func (l *countingLister) List(ctx context.Context, filters ...string) ([]c8dimages.Image, error) {
	if len(filters) == 0 {
		l.lists.Add(1)
	}
	return l.Store.List(ctx, filters...)
}

func tagsOf(list []imagetypes.Summary, id string) []string {
	for _, s := range list {
		if s.ID == id {
			return s.RepoTags
		}
	}
	return nil
}

// TestListingAfterWrites: a listing right after a tag, a retag that leaves
// an image dangling, a record written by a containerd client of berth's own
// store, and a rmi shows each change, and none of them makes the next
// listing read every record again (the kept records are patched from the
// storage's journal of record changes).
func TestListingAfterWrites(t *testing.T) {
	ts := newServiceEnv(t)
	counted := &countingLister{Store: ts.s.images}
	ts.s.images = counted
	now := time.Now()
	x := ts.add(fixtures.Image{Layers: []fixtures.Layer{testLayer(50)}}, now, "docker.io/library/x:1")
	y := ts.add(fixtures.Image{Layers: []fixtures.Layer{testLayer(51)}}, now, "docker.io/library/y:1")
	xID, yID := x.Digest.String(), y.Digest.String()
	// Settle the collections the adds kick (their leases' removals), so
	// that the listings below may keep summaries across the writes.
	if err := ts.s.storage.CollectGarbage(ts.ctx); err != nil {
		t.Fatal(err)
	}

	ts.listed()
	if n := counted.lists.Load(); n != 1 {
		t.Fatalf("first listing listed the records %d times, want 1", n)
	}

	if err := ts.s.TagImage(ts.ctx, "x:1", "docker.io/library/x", "2"); err != nil {
		t.Fatal(err)
	}
	if got, want := tagsOf(ts.listed(), xID), []string{"x:1", "x:2"}; !slices.Equal(got, want) {
		t.Fatalf("after tag: x tags %v, want %v", got, want)
	}

	// y:1 now names x: y is kept as a dangling image.
	if err := ts.s.TagImage(ts.ctx, "x:1", "docker.io/library/y", "1"); err != nil {
		t.Fatal(err)
	}
	list := ts.listed()
	if got, want := tagsOf(list, xID), []string{"x:1", "x:2", "y:1"}; !slices.Equal(got, want) {
		t.Fatalf("after retag: x tags %v, want %v", got, want)
	}
	if got := tagsOf(list, yID); len(got) != 0 || len(list) != 2 {
		t.Fatalf("after retag: %d images, y tags %v; want y listed dangling, without tags", len(list), got)
	}

	// A record written straight into the store, as a containerd client
	// would, is seen too.
	if _, err := ts.s.client.ImageService().Create(ts.ctx, c8dimages.Image{Name: "docker.io/library/z:1", Target: y.Descriptor()}); err != nil {
		t.Fatal(err)
	}
	if got, want := tagsOf(ts.listed(), yID), []string{"z:1"}; !slices.Equal(got, want) {
		t.Fatalf("after a client's create: y tags %v, want %v", got, want)
	}

	if _, err := ts.s.ImageDelete(ts.ctx, "x:2", backend.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, want := tagsOf(ts.listed(), xID), []string{"x:1", "y:1"}; !slices.Equal(got, want) {
		t.Fatalf("after rmi: x tags %v, want %v", got, want)
	}
	if n := counted.lists.Load(); n != 1 {
		t.Fatalf("the listings after writes listed every record %d more times, want 0", n-1)
	}
}

// TestListingSizeAfterSnapshot: an image listed while its layer had no
// snapshot shows the snapshot's usage in its Size once one is committed
// under the layer's chain ID, although nothing else changed (no record, no
// blob, no removal).
func TestListingSizeAfterSnapshot(t *testing.T) {
	ts := newServiceEnv(t)
	b := ts.add(fixtures.Image{Layers: []fixtures.Layer{testLayer(52)}}, time.Now(), "docker.io/library/u:1")
	if err := ts.s.storage.CollectGarbage(ts.ctx); err != nil {
		t.Fatal(err)
	}
	before := ts.listed()
	if len(before) != 1 {
		t.Fatalf("listed %d images, want 1", len(before))
	}
	chain, err := client.NewImage(ts.s.client, c8dimages.Image{Name: "docker.io/library/u:1", Target: b.Descriptor()}).RootFS(ts.ctx)
	if err != nil {
		t.Fatal(err)
	}
	sn := ts.s.snapshotService()
	mounts, err := sn.Prepare(ts.ctx, "listing-test", "")
	if err != nil {
		t.Fatal(err)
	}
	// The native snapshotter's mount is a bind of the snapshot directory.
	if err := os.WriteFile(filepath.Join(mounts[0].Source, "f"), make([]byte, 64<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := sn.Commit(ts.ctx, identity.ChainID(chain).String(), "listing-test"); err != nil {
		t.Fatal(err)
	}
	u, err := sn.Usage(ts.ctx, identity.ChainID(chain).String())
	if err != nil {
		t.Fatal(err)
	}
	after := ts.listed()
	if got, want := after[0].Size, before[0].Size+u.Size; got != want || u.Size <= 0 {
		t.Fatalf("Size after the snapshot %d, want %d (before %d + snapshot %d)", got, want, before[0].Size, u.Size)
	}
}

// TestListingSizeAfterMissingLayerWritten: an image listed while a layer
// blob was missing shows the layer in its Size once the blob is written,
// a write that changes no record and makes no snapshot.
func TestListingSizeAfterMissingLayerWritten(t *testing.T) {
	ts := newServiceEnv(t)
	b := ts.add(fixtures.Image{Layers: []fixtures.Layer{testLayer(53)}}, time.Now(), "docker.io/library/m:1")
	full := ts.listed()[0].Size
	l := b.Layers[0]
	if err := ts.s.content.Delete(ts.ctx, l.Digest); err != nil {
		t.Fatal(err)
	}
	// Settle the collection the removal kicks, so that nothing else
	// changes between the listings below.
	if err := ts.s.storage.CollectGarbage(ts.ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := ts.listed()[0].Size, full-int64(len(l.Blob)); got != want {
		t.Fatalf("Size without the layer blob %d, want %d", got, want)
	}
	ctx, done, err := ts.s.client.WithLease(ts.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer done(ts.ctx)
	desc := ocispec.Descriptor{MediaType: l.MediaType, Digest: l.Digest, Size: int64(len(l.Blob))}
	if err := content.WriteBlob(ctx, ts.s.content, l.Digest.String(), bytes.NewReader(l.Blob), desc); err != nil {
		t.Fatal(err)
	}
	if got := ts.listed()[0].Size; got != full {
		t.Fatalf("Size after the layer blob was written again %d, want %d", got, full)
	}
}
