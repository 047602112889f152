package images

import (
	"bytes"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	c8dimages "github.com/containerd/containerd/v2/core/images"
	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/api/types/backend"
	"github.com/berth-dev/berth/api/types/filters"
	"github.com/berth-dev/berth/testutil/fixtures"
)

// listed runs GET /images/json with the filters given as key, value pairs
// and returns each summary's ID and tags.
func (ts *serviceEnv) listed(kv ...string) []imagetypes.Summary {
	ts.t.Helper()
	f := filters.Args{}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Add(kv[i], kv[i+1])
	}
	list, err := ts.s.Images(ts.ctx, backend.ListOptions{Filters: f})
	if err != nil {
		ts.t.Fatalf("list %v: %v", kv, err)
	}
	return list
}

func summaryIDs(list []imagetypes.Summary) []digest.Digest {
	var out []digest.Digest
	for _, s := range list {
		out = append(out, digest.Digest(s.ID))
	}
	return out
}

// TestImagesSelection: one summary per image with the tags of its records
// that passed the filters, newest image first; record filters (reference,
// dangling) choose among an image's names, content filters (label) among
// images.
func TestImagesSelection(t *testing.T) {
	ts := newServiceEnv(t)
	now := time.Now()
	day := func(d int) time.Time { return time.Date(2024, 1, d, 0, 0, 0, 0, time.UTC) }
	x := ts.add(fixtures.Image{Layers: []fixtures.Layer{testLayer(40)}, Created: day(1)}, now,
		"docker.io/library/x:1", "docker.io/library/x:latest", "registry.local:5000/team/x:2")
	y := ts.add(fixtures.Image{Layers: []fixtures.Layer{testLayer(41)}, Created: day(3), Labels: map[string]string{"tier": "web"}}, now,
		"docker.io/library/y:1")
	old := ts.add(fixtures.Image{Layers: []fixtures.Layer{testLayer(42)}, Created: day(2)}, now, "")

	all := ts.listed()
	if got, want := summaryIDs(all), []digest.Digest{y.Digest, old.Digest, x.Digest}; !slices.Equal(got, want) {
		t.Fatalf("images %v, want newest first %v", got, want)
	}
	if tags := all[2].RepoTags; !slices.Equal(tags, []string{"registry.local:5000/team/x:2", "x:1", "x:latest"}) {
		t.Errorf("x tags %v", tags)
	}
	if len(all[1].RepoTags) != 0 {
		t.Errorf("dangling image tags %v, want none", all[1].RepoTags)
	}
	if all[0].Labels["tier"] != "web" || all[0].Size == 0 {
		t.Errorf("y summary %+v: want its config labels and a size", all[0])
	}

	byRef := ts.listed("reference", "x")
	if len(byRef) != 1 || byRef[0].ID != x.Digest.String() || !slices.Equal(byRef[0].RepoTags, []string{"x:1", "x:latest"}) {
		t.Errorf("reference=x: %+v, want x with the matching tags only", byRef)
	}
	if got := summaryIDs(ts.listed("dangling", "true")); !slices.Equal(got, []digest.Digest{old.Digest}) {
		t.Errorf("dangling=true: %v", got)
	}
	if got := summaryIDs(ts.listed("dangling", "false")); !slices.Equal(got, []digest.Digest{y.Digest, x.Digest}) {
		t.Errorf("dangling=false: %v", got)
	}
	if got := summaryIDs(ts.listed("label", "tier=web")); !slices.Equal(got, []digest.Digest{y.Digest}) {
		t.Errorf("label=tier=web: %v", got)
	}
	if got := summaryIDs(ts.listed("label!", "tier")); !slices.Equal(got, []digest.Digest{old.Digest, x.Digest}) {
		t.Errorf("label!=tier: %v", got)
	}
	if got := summaryIDs(ts.listed("before", "docker.io/library/y:1", "since", "x:1")); !slices.Equal(got, []digest.Digest{old.Digest}) {
		t.Errorf("before=y:1 since=x:1: %v", got)
	}
}

// TestImagesListsUnreadableImage: an image whose manifest is missing or
// cannot be read is still listed (by its target), without size or labels:
// one broken image does not hide the others.
func TestImagesListsUnreadableImage(t *testing.T) {
	ts := newServiceEnv(t)
	ts.add(fixtures.Image{Layers: []fixtures.Layer{testLayer(50)}}, time.Now(), "docker.io/library/ok:1")
	garbage := []byte("not a manifest")
	garbled := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromBytes(garbage), Size: int64(len(garbage))}
	missing := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromString("absent"), Size: 10}
	ctx, done, err := ts.s.client.WithLease(ts.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := content.WriteBlob(ctx, ts.s.content, "garbled", bytes.NewReader(garbage), garbled); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]ocispec.Descriptor{"garbled": garbled, "missing": missing} {
		if _, err := ts.s.images.Create(ctx, c8dimages.Image{Name: "docker.io/library/" + name + ":1", Target: target}); err != nil {
			t.Fatal(err)
		}
	}
	done(ts.ctx)

	for name, target := range map[string]ocispec.Descriptor{"garbled": garbled, "missing": missing} {
		list := ts.listed("reference", name)
		if len(list) != 1 || list[0].ID != target.Digest.String() || !slices.Equal(list[0].RepoTags, []string{name + ":1"}) || list[0].Size != 0 {
			t.Errorf("%s image listed as %+v", name, list)
		}
	}
	if got := len(ts.listed()); got != 3 {
		t.Errorf("%d images listed, want 3", got)
	}
}

// TestImagesListingFollowsChanges: an unchanged store lists the same again,
// however the previous answer was reshaped (the router does, per API
// version), and a tag or a removal shows in the very next listing.
func TestImagesListingFollowsChanges(t *testing.T) {
	ts := newServiceEnv(t)
	now := time.Now()
	x := ts.add(fixtures.Image{Layers: []fixtures.Layer{testLayer(50)}}, now, "docker.io/library/x:1")
	y := ts.add(fixtures.Image{Layers: []fixtures.Layer{testLayer(51)}}, now, "docker.io/library/y:1")
	tagsOf := func(list []imagetypes.Summary) map[string][]string {
		out := map[string][]string{}
		for _, s := range list {
			out[s.ID] = s.RepoTags
		}
		return out
	}

	first := ts.listed()
	want := map[string][]string{x.Digest.String(): {"x:1"}, y.Digest.String(): {"y:1"}}
	if got := tagsOf(first); !reflect.DeepEqual(got, want) {
		t.Fatalf("listed %v, want %v", got, want)
	}
	reshape := func(list []imagetypes.Summary) { // as the router does for an old client
		for i := range list {
			list[i].RepoTags, list[i].Descriptor, list[i].Containers = []string{"<none>:<none>"}, nil, -1
		}
	}
	reshape(first)
	for round := range 2 {
		again := ts.listed()
		if got := tagsOf(again); !reflect.DeepEqual(got, want) {
			t.Errorf("listed again (%d) %v, want %v", round, got, want)
		}
		for _, s := range again {
			if s.Descriptor == nil || s.Containers != 0 {
				t.Errorf("listed again (%d) %s: descriptor %v, containers %d", round, s.ID, s.Descriptor, s.Containers)
			}
		}
		reshape(again)
	}

	if err := ts.s.TagImage(ts.ctx, "x:1", "x", "2"); err != nil {
		t.Fatal(err)
	}
	want[x.Digest.String()] = []string{"x:1", "x:2"}
	if got := tagsOf(ts.listed()); !reflect.DeepEqual(got, want) {
		t.Errorf("listed after tagging %v, want %v", got, want)
	}
	if _, err := ts.s.ImageDelete(ts.ctx, "y:1", backend.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	delete(want, y.Digest.String())
	if got := tagsOf(ts.listed()); !reflect.DeepEqual(got, want) {
		t.Errorf("listed after removing y %v, want %v", got, want)
	}
}
