package integration

import (
	"bytes"
	"io"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// listing lists every image and returns the summaries by ID, each with its
// tags sorted, without the registry host.
func (e *imgEnv) listing() map[string]imagetypes.Summary {
	e.t.Helper()
	res, err := e.api.ImageList(e.ctx, client.ImageListOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]imagetypes.Summary{}
	for _, s := range res.Items {
		tags := make([]string, 0, len(s.RepoTags))
		for _, tag := range s.RepoTags {
			tags = append(tags, strings.TrimPrefix(tag, e.reg.Host()+"/"))
		}
		sort.Strings(tags)
		s.RepoTags = tags
		out[s.ID] = s
	}
	return out
}

// TestImageListAfterEachWrite lists the images before and right after a
// pull, a tag, a rmi, a load and an import: each listing shows the write,
// and the last equals what a restarted berthd lists from the disk.
func TestImageListAfterEachWrite(t *testing.T) {
	t.Parallel()
	e := newImgEnv(t)
	base := fixtures.Layer{Seed: 70, Size: 64 << 10}
	a := e.pushPull("w/a", "1", fixtures.Image{Layers: []fixtures.Layer{base}})
	aID := a.Digest.String()
	first := e.listing()
	if len(first) != 1 || first[aID].Size <= 0 {
		t.Fatalf("first listing %v, want a alone with its size", first)
	}

	b := e.pushPull("w/b", "1", fixtures.Image{Layers: []fixtures.Layer{base, {Seed: 71, Size: 32 << 10}}})
	bID := b.Digest.String()
	l := e.listing()
	if got := l[bID]; !slices.Equal(got.RepoTags, []string{"w/b:1"}) || got.Size <= first[aID].Size {
		t.Fatalf("after pull: b %+v, want w/b:1 larger than a (%d)", got, first[aID].Size)
	}

	if _, err := e.api.ImageTag(e.ctx, client.ImageTagOptions{Source: e.ref("w/b", "1"), Target: e.ref("w/c", "2")}); err != nil {
		t.Fatal(err)
	}
	if got := e.listing()[bID].RepoTags; !slices.Equal(got, []string{"w/b:1", "w/c:2"}) {
		t.Fatalf("after tag: b tags %v", got)
	}

	saved, err := e.save([]string{e.ref("w/a", "1")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.api.ImageRemove(e.ctx, e.ref("w/a", "1"), client.ImageRemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.listing()[aID]; ok {
		t.Fatal("after rmi: a still listed")
	}

	rc, err := e.api.ImageLoad(e.ctx, bytes.NewReader(saved))
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := io.Copy(io.Discard, rc); err != nil {
		t.Fatal(err)
	}
	if got := e.listing()[aID]; !slices.Equal(got.RepoTags, []string{"w/a:1"}) || got.Size != first[aID].Size {
		t.Fatalf("after load: a %+v, want w/a:1 of size %d", got, first[aID].Size)
	}

	res, err := e.api.ImageImport(e.ctx, client.ImageImportSource{Source: bytes.NewReader(importTar(t, 72, 16<<10)), SourceName: "-"}, "w/imp:1", client.ImageImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	if _, err := io.Copy(io.Discard, res); err != nil {
		t.Fatal(err)
	}
	after := e.listing()
	imported := false
	for _, s := range after {
		imported = imported || slices.Equal(s.RepoTags, []string{"w/imp:1"})
	}
	if len(after) != 3 || !imported {
		t.Fatalf("after import: %d images %v, want a, b and w/imp:1", len(after), after)
	}

	e.d.Restart()
	if fresh := e.listing(); !reflect.DeepEqual(after, fresh) {
		t.Fatalf("listing after the writes\n%+v\ndiffers from a restarted berthd's\n%+v", after, fresh)
	}
}
