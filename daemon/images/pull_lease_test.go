package images

import (
	"context"
	"strconv"
	"testing"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/leases"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestStalePullLeaseBecomesResumable: a pull lease a crash left behind
// becomes, at start-up, a resumable lease holding its blobs and partial
// downloads (not its snapshots) with the same expiry; a successful pull of
// the reference deletes it.
func TestStalePullLeaseBecomesResumable(t *testing.T) {
	s := newTestService(t)
	bg := context.Background()
	const ref = "example.com/team/app:1"
	ctx, _, err := s.startPullLease(bg, ref) // never released: the pull "crashed"
	if err != nil {
		t.Fatal(err)
	}
	blob := putBlob(t, s, ocispec.MediaTypeImageLayer, []byte("arrived"), nil)
	w, err := content.OpenWriter(ctx, s.content, content.WithRef("layer-sha256:partial"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("half")); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if _, err := s.snapshotService().Prepare(ctx, "extract-1 sha256:x", ""); err != nil {
		t.Fatal(err)
	}
	putBlobUnder(t, s, ctx, blob)
	stale, _ := s.leases.List(bg, "labels."+strconv.Quote(pullLeaseLabel))
	if len(stale) != 1 {
		t.Fatalf("%d pull leases, want 1", len(stale))
	}

	if err := s.RemoveStalePullLeases(bg); err != nil {
		t.Fatal(err)
	}
	if left, _ := s.leases.List(bg, "labels."+strconv.Quote(pullLeaseLabel)); len(left) != 0 {
		t.Errorf("pull leases left: %v", left)
	}
	resumable, err := s.leases.List(bg, "labels."+strconv.Quote(resumableLeaseLabel)+"=="+strconv.Quote(ref))
	if err != nil || len(resumable) != 1 {
		t.Fatalf("resumable leases %v, %v; want 1", resumable, err)
	}
	if got, want := resumable[0].Labels[gcExpireLabel], stale[0].Labels[gcExpireLabel]; got != want || got == "" {
		t.Errorf("resumable lease expires %q, want the pull's %q", got, want)
	}
	res, err := s.leases.ListResources(bg, resumable[0])
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, r := range res {
		kinds[r.ID] = r.Type
	}
	if kinds[blob.Digest.String()] != "content" || kinds["layer-sha256:partial"] != "ingests" || len(kinds) != 2 {
		t.Errorf("resumable lease holds %v, want the blob and the ingest only", kinds)
	}

	s.dropResumable(bg, "example.com/team/other:1")
	if l, _ := s.leases.List(bg, "labels."+strconv.Quote(resumableLeaseLabel)); len(l) != 1 {
		t.Errorf("another reference's pull dropped the resumable lease: %v", l)
	}
	s.dropResumable(bg, ref)
	if l, _ := s.leases.List(bg, "labels."+strconv.Quote(resumableLeaseLabel)); len(l) != 0 {
		t.Errorf("resumable leases after a successful pull: %v", l)
	}
}

// putBlobUnder adds an existing blob to the lease of ctx, as a pull's fetch
// does.
func putBlobUnder(t *testing.T, s *ImageService, ctx context.Context, desc ocispec.Descriptor) {
	t.Helper()
	id, _ := leases.FromContext(ctx)
	if err := s.leases.AddResource(ctx, leases.Lease{ID: id}, leases.Resource{ID: desc.Digest.String(), Type: "content"}); err != nil {
		t.Fatal(err)
	}
}

// TestLeasedChainSurvivesCollection: a pull leases the layer blobs and the
// snapshots of the layer chain it is about to unpack, so an existing layer
// (blob and snapshot) it will build on, and would not fetch again, stays
// while another image's removal collects everything unreferenced (an
// unleased blob and snapshot beside them go).
func TestLeasedChainSurvivesCollection(t *testing.T) {
	s := newTestService(t)
	bg := context.Background()
	sn := s.snapshotService()
	made, release, err := s.startOperationLease(bg, "load")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"sha256:base", "sha256:unleased"} {
		if _, err := sn.Prepare(made, "extract "+name, ""); err != nil {
			t.Fatal(err)
		}
		if err := sn.Commit(made, name, "extract "+name); err != nil {
			t.Fatal(err)
		}
	}
	base := putBlob(t, s, ocispec.MediaTypeImageLayerGzip, []byte("the base layer"), nil)
	other := putBlob(t, s, ocispec.MediaTypeImageLayerGzip, []byte("another image's layer"), nil)
	putBlobUnder(t, s, made, base)
	putBlobUnder(t, s, made, other)
	unpack, done, err := s.startPullLease(bg, "example.com/team/app:1")
	if err != nil {
		t.Fatal(err)
	}
	defer done(false)
	notYet := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: digest.FromString("not fetched yet"), Size: 15}
	present, err := s.leaseLayers(unpack, []ocispec.Descriptor{base, notYet}, []digest.Digest{"sha256:base", "sha256:notyet"})
	if err != nil {
		t.Fatal(err)
	}
	if present {
		t.Error("leaseLayers says every layer blob is present; one is not")
	}
	if present, err := s.leaseLayers(unpack, []ocispec.Descriptor{base}, []digest.Digest{"sha256:base"}); err != nil || !present {
		t.Errorf("leaseLayers of a present layer: %v, %v; want true", present, err)
	}

	release(true) // a synchronous collection of all the first lease held
	if _, err := sn.Stat(bg, "sha256:base"); err != nil {
		t.Errorf("the leased parent snapshot: %v, want it kept", err)
	}
	if _, err := s.content.Info(bg, base.Digest); err != nil {
		t.Errorf("the leased layer blob: %v, want it kept", err)
	}
	if _, err := sn.Stat(bg, "sha256:unleased"); err == nil {
		t.Error("the unleased snapshot survived the collection: the test proves nothing")
	}
	if _, err := s.content.Info(bg, other.Digest); err == nil {
		t.Error("the unleased blob survived the collection: the test proves nothing")
	}
}
