package images

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	eventtypes "github.com/moby/moby/api/types/events"
	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/opencontainers/go-digest"

	"github.com/berth-dev/berth/api/types/filters"
	"github.com/berth-dev/berth/testutil/fixtures"
)

func testLayer(seed int64) fixtures.Layer { return fixtures.Layer{Seed: seed, Size: 8 << 10} }

func deletedBlobs(r *imagetypes.PruneReport) (untagged []string, deleted []digest.Digest) {
	for _, d := range r.ImagesDeleted {
		if d.Untagged != "" {
			untagged = append(untagged, d.Untagged)
		}
		if d.Deleted != "" {
			deleted = append(deleted, digest.Digest(d.Deleted))
		}
	}
	return untagged, deleted
}

// TestPruneDanglingReport: a prune without filters removes the dangling
// image only and reports exactly the blobs that went — the image ID first,
// then its config and the layer no other image uses — and their bytes as
// SpaceReclaimed; the layer it shared with a tagged image stays, unreported.
func TestPruneDanglingReport(t *testing.T) {
	ts := newServiceEnv(t)
	now := time.Now()
	kept := ts.add(fixtures.Image{Layers: []fixtures.Layer{testLayer(10), testLayer(11)}}, now, "docker.io/library/keep:1")
	gone := ts.add(fixtures.Image{Layers: []fixtures.Layer{testLayer(10), testLayer(12)}, Cmd: []string{"old"}}, now, "")

	report, err := ts.s.ImagesPrune(ts.ctx, filters.Args{})
	if err != nil {
		t.Fatal(err)
	}
	untagged, deleted := deletedBlobs(report)
	if len(untagged) != 0 {
		t.Errorf("untagged %v: a dangling record has no name to report", untagged)
	}
	want := []digest.Digest{gone.Digest, gone.ConfigDigest, gone.Layers[1].Digest}
	if !slices.Equal(deleted, want) {
		t.Errorf("deleted %v, want %v (image ID first, then what only it used)", deleted, want)
	}
	wantBytes := uint64(len(gone.Manifest) + len(gone.Config) + len(gone.Layers[1].Blob))
	if report.SpaceReclaimed != wantBytes {
		t.Errorf("SpaceReclaimed %d, want %d", report.SpaceReclaimed, wantBytes)
	}
	for d, ok := range ts.present(allBlobs(kept)...) {
		if !ok {
			t.Errorf("blob %s of the tagged image was removed", d)
		}
	}
	for d, ok := range ts.present(want...) {
		if ok {
			t.Errorf("reported blob %s is still present", d)
		}
	}

	var actions []string
	for _, ev := range ts.pastEvents() {
		actions = append(actions, string(ev.Action))
		if ev.Action == eventtypes.ActionPrune && ev.Actor.Attributes["reclaimed"] != strconv.FormatUint(wantBytes, 10) {
			t.Errorf("prune event %+v, want reclaimed=%d", ev.Actor, wantBytes)
		}
	}
	if !slices.Equal(actions, []string{"delete", "prune"}) {
		t.Errorf("events %v, want the image's delete then the prune", actions)
	}
}

// TestPruneAllWithLabel: dangling=false prunes tagged images too, here only
// those with the label; each removed name is reported untagged, familiar.
func TestPruneAllWithLabel(t *testing.T) {
	ts := newServiceEnv(t)
	now := time.Now()
	web := ts.add(fixtures.Image{Layers: []fixtures.Layer{testLayer(20)}, Labels: map[string]string{"tier": "web"}}, now,
		"docker.io/library/web:1", "registry.local:5000/team/web:2")
	other := ts.add(fixtures.Image{Layers: []fixtures.Layer{testLayer(21)}}, now, "docker.io/library/other:1")

	f := filters.Args{}
	f.Add("dangling", "false")
	f.Add("label", "tier=web")
	report, err := ts.s.ImagesPrune(ts.ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	untagged, deleted := deletedBlobs(report)
	if !slices.Equal(untagged, []string{"web:1", "registry.local:5000/team/web:2"}) {
		t.Errorf("untagged %v", untagged)
	}
	if !slices.Equal(deleted, allBlobs(web)) {
		t.Errorf("deleted %v, want %v", deleted, allBlobs(web))
	}
	for d, ok := range ts.present(allBlobs(other)...) {
		if !ok {
			t.Errorf("blob %s of the unlabelled image was removed", d)
		}
	}
	if list, _ := ts.s.images.List(ts.ctx); len(list) != 1 || list[0].Name != "docker.io/library/other:1" {
		t.Errorf("records left: %v", list)
	}
}

// TestPruneRefusesBadFilters: unknown keys and bad values are invalid
// arguments, and nothing is deleted.
func TestPruneRefusesBadFilters(t *testing.T) {
	ts := newServiceEnv(t)
	b := ts.add(fixtures.Image{Layers: []fixtures.Layer{testLayer(30)}}, time.Now(), "")
	for _, tc := range []struct{ key, value, msg string }{
		{"reference", "x", "invalid filter 'reference'"},
		{"dangling", "maybe", ""},
		{"until", "soon", "invalid filter 'until=soon'"},
	} {
		f := filters.Args{}
		f.Add(tc.key, tc.value)
		_, err := ts.s.ImagesPrune(ts.ctx, f)
		if !errdefs.IsInvalidArgument(err) {
			t.Errorf("%s=%s: %v, want an invalid argument", tc.key, tc.value, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), tc.msg) {
			t.Errorf("%s=%s: %q, want it to start with %q", tc.key, tc.value, err, tc.msg)
		}
	}
	for d, ok := range ts.present(allBlobs(b)...) {
		if !ok {
			t.Errorf("blob %s removed by a refused prune", d)
		}
	}
}
