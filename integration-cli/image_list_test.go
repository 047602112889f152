package integrationcli

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	units "github.com/docker/go-units"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// TestImagesTable checks `docker images`: one row per image, newest first,
// with the short ID, and a size that is the packed content plus the unpacked
// snapshots as measured on disk.
func TestImagesTable(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	old := smallImage(1)
	old.Created = time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	b := e.pushPull("team/old", "1.0", old)

	// Exactly one image on disk: its size is every blob plus every snapshot.
	wantSize := sum(e.contentBlobs()) + sum(e.snapshotUsage())
	packed := int64(len(b.Manifest) + len(b.Config))
	for _, l := range b.Layers {
		packed += l.Size
	}
	if got := sum(e.contentBlobs()); got != packed {
		t.Fatalf("content store holds %d bytes, want the image's %d", got, packed)
	}
	if got := e.docker("image", "inspect", "-f", "{{.Size}}", e.ref("team/old", "1.0")); strings.TrimSpace(got) != strconv.FormatInt(wantSize, 10) {
		t.Errorf("inspect Size = %s, want %d (content %d + snapshots %d)", got, wantSize, packed, wantSize-packed)
	}

	recent := smallImage(2)
	recent.Created = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	r := e.pushPull("team/recent", "2.0", recent)

	rows := lines(e.docker("images"))
	if len(rows) != 3 {
		t.Fatalf("docker images printed %d lines, want header + 2:\n%s", len(rows), strings.Join(rows, "\n"))
	}
	for _, col := range []string{"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"} {
		if !strings.Contains(rows[0], col) {
			t.Errorf("header %q lacks %s", rows[0], col)
		}
	}
	wantRows := [][]string{
		{e.reg.Host() + "/team/recent", "2.0", shortID(r.Digest)},
		{e.reg.Host() + "/team/old", "1.0", shortID(b.Digest), units.HumanSizeWithPrecision(float64(wantSize), 3)},
	}
	for i, want := range wantRows {
		fields := strings.Fields(rows[i+1])
		for _, w := range want {
			if !slices.Contains(fields, w) {
				t.Errorf("row %d = %q, want it to contain %q (newest first)", i+1, rows[i+1], w)
			}
		}
	}
}

// TestImagesQuietDigestsFormat checks -q, --digests, --format and that a
// name argument filters by reference.
func TestImagesQuietDigestsFormat(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	a := e.pushPull("web", "v1", smallImage(3))
	b := e.pushPull("db", "v2", smallImage(4))

	ids := lines(e.docker("images", "-q"))
	slices.Sort(ids)
	want := []string{shortID(a.Digest), shortID(b.Digest)}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("images -q = %v, want %v", ids, want)
	}
	full := strings.TrimSpace(e.docker("images", "-q", "--no-trunc", e.reg.Host()+"/web"))
	if full != a.Digest.String() {
		t.Errorf("images -q --no-trunc web = %q, want %s", full, a.Digest)
	}

	out := e.docker("images", "--digests", e.reg.Host()+"/db")
	if rows := lines(out); len(rows) != 2 || !strings.Contains(rows[0], "DIGEST") || !strings.Contains(rows[1], b.Digest.String()) {
		t.Errorf("images --digests db:\n%s\nwant one row with digest %s", out, b.Digest)
	}

	got := strings.TrimSpace(e.docker("images", "--format", "{{.Repository}}|{{.Tag}}|{{.ID}}|{{.Digest}}", e.reg.Host()+"/web"))
	wantLine := fmt.Sprintf("%s/web|v1|%s|%s", e.reg.Host(), shortID(a.Digest), a.Digest)
	if got != wantLine {
		t.Errorf("images --format = %q, want %q", got, wantLine)
	}
}

// TestImagesDangling makes a dangling image by moving its only tag and
// checks that it lists as <none> <none> (the CLI 28 shows dangling images
// without -a, as dockerd lists them; only classic-builder intermediate
// images need -a), that dangling=true selects it and dangling=false hides it.
func TestImagesDangling(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	old := e.pushPull("app", "latest", smallImage(5))
	cur := e.pushPull("app", "next", smallImage(6))
	e.docker("tag", e.ref("app", "next"), e.ref("app", "latest"))

	for _, args := range [][]string{{"images"}, {"images", "-a"}} {
		out := e.docker(append(args, "--format", "{{.Repository}} {{.Tag}} {{.ID}}")...)
		want := []string{
			"<none> <none> " + shortID(old.Digest),
			e.ref("app", "latest") + " " + shortID(cur.Digest),
			e.ref("app", "next") + " " + shortID(cur.Digest),
		}
		got := lines(out)
		slices.Sort(got)
		for i := range want {
			want[i] = strings.Replace(want[i], e.reg.Host()+"/app:", e.reg.Host()+"/app ", 1)
		}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("docker %v = %q, want %q", args, got, want)
		}
	}
	if got := lines(e.docker("images", "-q", "-f", "dangling=true")); !slices.Equal(got, []string{shortID(old.Digest)}) {
		t.Errorf("images -f dangling=true = %v, want [%s]", got, shortID(old.Digest))
	}
	// One row per tag.
	if got := lines(e.docker("images", "-q", "-f", "dangling=false")); !slices.Equal(got, []string{shortID(cur.Digest), shortID(cur.Digest)}) {
		t.Errorf("images -f dangling=false = %v, want [%s] twice (two tags)", got, shortID(cur.Digest))
	}
	if msg := e.dockerFail("images", "-f", "dangling=maybe"); !strings.Contains(msg, "invalid filter 'dangling=maybe'") {
		t.Errorf("dangling=maybe: %q", msg)
	}
}

// TestImagesFilters checks label, label!, before, since, reference and until,
// alone and combined, and dockerd's errors for unknown filters and images.
func TestImagesFilters(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	mk := func(seed int64, month time.Month, labels map[string]string) fixtures.Image {
		img := smallImage(seed)
		img.Created = time.Date(2024, month, 1, 0, 0, 0, 0, time.UTC)
		img.Labels = labels
		return img
	}
	a := e.pushPull("filter/a", "1", mk(10, 1, map[string]string{"tier": "web"}))
	b := e.pushPull("filter/b", "1", mk(11, 3, map[string]string{"tier": "db"}))
	c := e.pushPull("filter/c", "1", mk(12, 5, nil))
	id := map[string]string{"a": shortID(a.Digest), "b": shortID(b.Digest), "c": shortID(c.Digest)}
	names := func(ids []string) []string {
		var out []string
		for _, got := range ids {
			for n, v := range id {
				if v == got {
					out = append(out, n)
				}
			}
		}
		slices.Sort(out)
		return out
	}
	bRef := e.ref("filter/b", "1")
	future := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"-f", "label=tier"}, []string{"a", "b"}},
		{[]string{"-f", "label=tier=web"}, []string{"a"}},
		{[]string{"-f", "label!=tier"}, []string{"c"}},
		{[]string{"-f", "label!=tier=web"}, []string{"b", "c"}},
		{[]string{"-f", "before=" + bRef}, []string{"a"}},
		{[]string{"-f", "since=" + bRef}, []string{"c"}},
		{[]string{"-f", "since=" + e.ref("filter/a", "1"), "-f", "label=tier"}, []string{"b"}},
		{[]string{"-f", "reference=" + e.reg.Host() + "/filter/*"}, []string{"a", "b", "c"}},
		{[]string{"-f", "reference=" + e.reg.Host() + "/filter/c:1"}, []string{"c"}},
		{[]string{e.reg.Host() + "/filter/a"}, []string{"a"}},
		{[]string{"-f", "until=1h"}, nil},
		{[]string{"-f", "until=" + future}, []string{"a", "b", "c"}},
		{[]string{"-f", "until=" + time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, []string{"a", "b", "c"}},
	} {
		got := names(lines(e.docker(append([]string{"images", "-q"}, tc.args...)...)))
		if !slices.Equal(got, tc.want) {
			t.Errorf("images %v = %v, want %v", tc.args, got, tc.want)
		}
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-f", "color=red"}, "invalid filter 'color'"},
		{[]string{"-f", "before=nope"}, "No such image: nope:latest"},
		{[]string{"-f", "until=soon"}, "invalid filter 'until=soon'"},
	} {
		if msg := e.dockerFail(append([]string{"images"}, tc.args...)...); !strings.Contains(msg, tc.want) {
			t.Errorf("images %v: stderr %q, want %q", tc.args, msg, tc.want)
		}
	}
}

// TestImagesTree checks the CLI's tree view of a multi-platform image: every
// platform of the index shows, the pulled one with its size, the
// attestations not at all.
func TestImagesTree(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	idx := e.pushIndex("multi", "v1", fixtures.Index{
		Manifests:    fixtures.Platforms("linux/amd64", "linux/arm64"),
		Attestations: true,
	})
	e.cli.MustRun("pull", "-q", "--platform", "linux/amd64", e.ref("multi", "v1"))

	out := e.docker("images", "--tree")
	amd, arm := idx.Image("linux/amd64"), idx.Image("linux/arm64")
	var amdLine, armLine string
	for _, l := range lines(out) {
		switch {
		case strings.Contains(l, "linux/amd64"):
			amdLine = l
		case strings.Contains(l, "linux/arm64"):
			armLine = l
		}
	}
	if !strings.Contains(out, e.ref("multi", "v1")) || !strings.Contains(out, shortID(idx.Digest)) {
		t.Errorf("tree lacks the image %s (%s):\n%s", e.ref("multi", "v1"), shortID(idx.Digest), out)
	}
	if !strings.Contains(amdLine, shortID(amd.Digest)) || strings.Contains(amdLine, " 0B") {
		t.Errorf("amd64 line %q: want its manifest %s with a size", amdLine, shortID(amd.Digest))
	}
	if !strings.Contains(armLine, shortID(arm.Digest)) || !strings.Contains(armLine, "0B") {
		t.Errorf("arm64 line %q: want its manifest %s, not present (0B)", armLine, shortID(arm.Digest))
	}
	if strings.Contains(out, "unknown/unknown") {
		t.Errorf("tree shows attestation manifests:\n%s", out)
	}
}
