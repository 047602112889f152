package integrationcli

import (
	"slices"
	"testing"
)

// TestImagePullKeepOldAsDangling moves a tag to a new image: the old one
// stays as a dangling image, listed and inspectable by ID; pulling the old
// digest back under the tag removes its dangling record (moby's
// TestImagePullKeepOldAsDangling).
func TestImagePullKeepOldAsDangling(t *testing.T) {
	e := newImageEnv(t)
	ref := e.ref("team/moving", "latest")
	first := e.pushPull("team/moving", "latest", smallImage(300))
	second := e.pushPull("team/moving", "latest", smallImage(301))

	dangling := lines(e.docker("images", "--filter", "dangling=true", "--format", "{{.ID}}"))
	if !slices.Equal(dangling, []string{shortID(first.Digest)}) {
		t.Fatalf("dangling images %v, want only the previous image %s", dangling, shortID(first.Digest))
	}
	old := e.inspect(first.Digest.String())
	if tags := old["RepoTags"].([]any); len(tags) != 0 {
		t.Errorf("the dangling image keeps tags %v", tags)
	}
	if id := e.inspect(ref)["Id"]; id != second.Digest.String() {
		t.Errorf("%s is %v, want the new image", ref, id)
	}

	// Move the tag back: the first image is named again and no longer
	// dangling; the second one is.
	e.pushPull("team/moving", "latest", smallImage(300))
	dangling = lines(e.docker("images", "--filter", "dangling=true", "--format", "{{.ID}}"))
	if !slices.Equal(dangling, []string{shortID(second.Digest)}) {
		t.Fatalf("dangling images %v, want only %s", dangling, shortID(second.Digest))
	}
	all := lines(e.docker("images", "-a", "--format", "{{.ID}} {{.Tag}}"))
	if !slices.Contains(all, shortID(first.Digest)+" latest") {
		t.Errorf("images -a %v: the first image should be tagged latest again", all)
	}

	// Re-pulling the current image changes nothing.
	e.docker("pull", ref)
	if got := lines(e.docker("images", "--filter", "dangling=true", "--format", "{{.ID}}")); !slices.Equal(got, dangling) {
		t.Errorf("dangling images changed to %v", got)
	}
}
