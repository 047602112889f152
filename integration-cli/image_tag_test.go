package integrationcli

import (
	"slices"
	"strings"
	"testing"
)

// TestTag tags by name, full ID and short ID, with and without a tag, and
// checks the names `docker images` and inspect then show.
func TestTag(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	b := e.pushPull("src", "1", smallImage(40))
	id := b.Digest.String()

	e.docker("tag", e.ref("src", "1"), "copy:by-name")
	e.docker("tag", id, "copy:by-id")
	e.docker("tag", shortID(b.Digest), "other/copy") // no tag: latest

	got := e.docker("image", "inspect", "-f", "{{json .RepoTags}}", id)
	want := `["` + e.ref("src", "1") + `","copy:by-id","copy:by-name","other/copy:latest"]`
	if strings.TrimSpace(got) != want {
		t.Errorf("RepoTags after tagging = %s, want %s", got, want)
	}
	rows := lines(e.docker("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"))
	slices.Sort(rows)
	wantRows := []string{
		"copy:by-id " + shortID(b.Digest),
		"copy:by-name " + shortID(b.Digest),
		"other/copy:latest " + shortID(b.Digest),
		e.ref("src", "1") + " " + shortID(b.Digest),
	}
	slices.Sort(wantRows)
	if !slices.Equal(rows, wantRows) {
		t.Errorf("images = %q, want %q", rows, wantRows)
	}
	// Tagging again with the same name is not an error.
	e.docker("tag", id, "copy:by-id")
}

// TestTagMovesTagAndDangling moves a tag to another image: the image that
// lost its only name becomes dangling; tagging it again takes it out of
// the dangling state.
func TestTagMovesTagAndDangling(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	old := e.pushPull("app", "stable", smallImage(41))
	cur := e.pushPull("app", "edge", smallImage(42))

	e.docker("tag", e.ref("app", "edge"), e.ref("app", "stable"))
	if got := strings.TrimSpace(e.docker("image", "inspect", "-f", "{{.Id}}", e.ref("app", "stable"))); got != cur.Digest.String() {
		t.Errorf("app:stable now = %s, want %s", got, cur.Digest)
	}
	if got := lines(e.docker("images", "-q", "-f", "dangling=true")); !slices.Equal(got, []string{shortID(old.Digest)}) {
		t.Fatalf("dangling images = %v, want the old image %s", got, shortID(old.Digest))
	}

	e.docker("tag", old.Digest.String(), "rescued:1")
	if got := lines(e.docker("images", "-q", "-f", "dangling=true")); len(got) != 0 {
		t.Errorf("dangling images after tagging it = %v, want none", got)
	}
	all := e.docker("images", "-a", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}")
	if strings.Contains(all, "<none>") || !strings.Contains(all, "rescued:1 "+shortID(old.Digest)) {
		t.Errorf("images -a:\n%s\nwant rescued:1 and no <none>", all)
	}
}

// TestTagErrors checks dockerd's refusals: a digest algorithm as name,
// unknown sources and invalid names (the CLI checks some itself).
func TestTagErrors(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	e.pushPull("src", "1", smallImage(43))
	src := e.ref("src", "1")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"tag", src, "sha256:sometag"}, "refusing to create an ambiguous tag using digest algorithm as name"},
		{[]string{"tag", src, "sha256"}, "refusing to create an ambiguous tag using digest algorithm as name"},
		{[]string{"tag", "nope", "x:1"}, "No such image: nope:latest"},
		{[]string{"tag", "nope:2", "x:1"}, "No such image: nope:2"},
		{[]string{"tag", src, "Bad/Name"}, "invalid reference format"},
		{[]string{"tag", src, "-dash:1"}, "invalid reference format"},
		{[]string{"tag", src, "x:" + strings.Repeat("t", 129)}, "invalid reference format"},
	} {
		if msg := e.dockerFail(tc.args...); !strings.Contains(msg, tc.want) {
			t.Errorf("docker %v: %q, want %q", tc.args, msg, tc.want)
		}
	}
	if rows := lines(e.docker("images", "-q")); len(rows) != 1 {
		t.Errorf("failed tags left names behind: %v", rows)
	}
}
