package integrationcli

import (
	"strings"
	"testing"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// TestRmiByNameRemovesContent deletes the only name of an image: the CLI
// prints the untagged name and the deleted ID, and once it returns the
// image's blobs and snapshots are gone from disk.
func TestRmiByNameRemovesContent(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	b := e.pushPull("gone", "1", smallImage(50))
	if len(e.contentBlobs()) != 3 || len(e.snapshotUsage()) != 1 {
		t.Fatalf("before rmi: blobs %v snapshots %v, want 3 and 1", e.contentBlobs(), e.snapshotUsage())
	}
	out := e.docker("rmi", e.ref("gone", "1"))
	want := "Untagged: " + e.ref("gone", "1") + "\nDeleted: " + b.Digest.String() + "\n"
	if out != want {
		t.Errorf("rmi printed %q, want %q", out, want)
	}
	if blobs, snaps := e.contentBlobs(), e.snapshotUsage(); len(blobs) != 0 || len(snaps) != 0 {
		t.Errorf("after rmi: blobs %v snapshots %v left on disk", blobs, snaps)
	}
	if msg := e.dockerFail("image", "inspect", e.ref("gone", "1")); !strings.Contains(msg, "No such image: "+e.ref("gone", "1")) {
		t.Errorf("inspect after rmi: %q", msg)
	}
}

// TestRmiOneOfSeveralNames untags only the name given while other names
// remain, and keeps the content.
func TestRmiOneOfSeveralNames(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	b := e.pushPull("keep", "1", smallImage(51))
	e.docker("tag", e.ref("keep", "1"), "alias:1")
	blobs := len(e.contentBlobs())

	if out := e.docker("rmi", "alias:1"); out != "Untagged: alias:1\n" {
		t.Errorf("rmi alias:1 printed %q, want only the untag", out)
	}
	if got := strings.TrimSpace(e.docker("image", "inspect", "-f", "{{.Id}} {{json .RepoTags}}", b.Digest.String())); got != b.Digest.String()+` ["`+e.ref("keep", "1")+`"]` {
		t.Errorf("after rmi alias:1: %s", got)
	}
	if n := len(e.contentBlobs()); n != blobs {
		t.Errorf("blobs %d after untagging, want %d", n, blobs)
	}
}

// TestRmiByIDConflict deletes by ID an image named in two repositories:
// refused without force with dockerd's message, done with -f.
func TestRmiByIDConflict(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	b := e.pushPull("one", "1", smallImage(52))
	e.docker("tag", e.ref("one", "1"), "two:1")

	msg := e.dockerFail("rmi", shortID(b.Digest))
	want := "conflict: unable to delete " + shortID(b.Digest) + " (must be forced) - image is referenced in multiple repositories"
	if !strings.Contains(msg, want) {
		t.Errorf("rmi by ID: %q, want %q", msg, want)
	}
	// Two tags of one repository are "multiple" too.
	e.docker("tag", e.ref("one", "1"), e.ref("one", "2"))
	e.docker("rmi", "two:1")
	if msg := e.dockerFail("rmi", b.Digest.String()); !strings.Contains(msg, "(must be forced) - image is referenced in multiple repositories") {
		t.Errorf("rmi by ID with two tags: %q", msg)
	}

	out := e.docker("rmi", "-f", b.Digest.String())
	want = "Untagged: " + e.ref("one", "1") + "\nUntagged: " + e.ref("one", "2") + "\nDeleted: " + b.Digest.String() + "\n"
	if out != want {
		t.Errorf("rmi -f printed %q, want %q", out, want)
	}
	if rows := lines(e.docker("images", "-aq")); len(rows) != 0 {
		t.Errorf("images left: %v", rows)
	}
}

// TestRmiVariants deletes by ID with one name, by name@digest, a dangling
// image (never listed as untagged) and several images at once.
func TestRmiVariants(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	a := e.pushPull("v/a", "1", smallImage(53))
	b := e.pushPull("v/b", "1", smallImage(54))
	c := e.pushPull("v/c", "1", smallImage(55))

	if out := e.docker("rmi", shortID(a.Digest)); out != "Untagged: "+e.ref("v/a", "1")+"\nDeleted: "+a.Digest.String()+"\n" {
		t.Errorf("rmi by short ID printed %q", out)
	}
	if out := e.docker("rmi", e.reg.Host()+"/v/b@"+b.Digest.String()); out != "Untagged: "+e.ref("v/b", "1")+"\nDeleted: "+b.Digest.String()+"\n" {
		t.Errorf("rmi by name@digest printed %q", out)
	}

	// c becomes dangling when its tag moves.
	d := e.pushPull("v/d", "1", smallImage(56))
	e.docker("tag", e.ref("v/d", "1"), e.ref("v/c", "1"))
	if out := e.docker("rmi", c.Digest.String()); out != "Deleted: "+c.Digest.String()+"\n" {
		t.Errorf("rmi of a dangling image printed %q, want only Deleted", out)
	}

	res := e.cli.Run("rmi", e.ref("v/c", "1"), "nope", e.ref("v/d", "1"))
	if res.ExitCode != 1 || !strings.Contains(res.Stderr, "No such image: nope:latest") {
		t.Errorf("rmi with one unknown name: exit %d, stderr %q", res.ExitCode, res.Stderr)
	}
	wantOut := "Untagged: " + e.ref("v/c", "1") + "\nUntagged: " + e.ref("v/d", "1") + "\nDeleted: " + d.Digest.String() + "\n"
	if res.Stdout != wantOut {
		t.Errorf("rmi c d printed %q, want %q", res.Stdout, wantOut)
	}
	if rows := lines(e.docker("images", "-aq")); len(rows) != 0 {
		t.Errorf("images left: %v", rows)
	}
	if blobs := e.contentBlobs(); len(blobs) != 0 {
		t.Errorf("blobs left: %v", blobs)
	}
}

// TestRmiWhilePullingSameImage deletes an image while a pull of a newer
// version of the same tag, sharing a layer with it, is in flight: the
// delete succeeds, and the pull still completes with all its content.
func TestRmiWhilePullingSameImage(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	base := fixtures.Layer{Seed: 57, Size: 256 << 10}
	v1 := e.pushPull("busy", "latest", fixtures.Image{Layers: []fixtures.Layer{base}})
	v2 := e.push("busy", "latest", fixtures.Image{Layers: []fixtures.Layer{base, {Seed: 58, Size: 512 << 10}}})
	stall := e.reg.StallBlob("busy", v2.Layers[1].Digest, 64<<10)

	pull := e.cli.Start("pull", e.ref("busy", "latest"))
	select {
	case <-stall.Reached():
	case <-pull.Done():
		t.Fatalf("pull ended before the stalled layer: %s %s", pull.Stdout(), pull.Stderr())
	}

	out := e.docker("rmi", e.ref("busy", "latest"))
	if want := "Untagged: " + e.ref("busy", "latest") + "\nDeleted: " + v1.Digest.String() + "\n"; out != want {
		t.Errorf("rmi during pull printed %q, want %q", out, want)
	}
	stall.Release()
	if res := pull.Wait(); res.ExitCode != 0 {
		t.Fatalf("pull after the rmi failed: %s\n%s", res.Stdout, res.Stderr)
	}

	got := strings.TrimSpace(e.docker("image", "inspect", "-f", "{{.Id}} {{len .RootFS.Layers}}", e.ref("busy", "latest")))
	if got != v2.Digest.String()+" 2" {
		t.Errorf("after the pull: %s, want %s with 2 layers", got, v2.Digest)
	}
	// The deleted image does not come back as dangling.
	if rows := lines(e.docker("images", "-a", "-q", "--no-trunc")); len(rows) != 1 || rows[0] != v2.Digest.String() {
		t.Errorf("images after the pull: %v, want only %s", rows, v2.Digest)
	}
	blobs := e.contentBlobs()
	for _, l := range v2.Layers {
		if _, ok := blobs[l.Digest]; !ok {
			t.Errorf("layer %s missing after the pull", l.Digest)
		}
	}
	if n := len(e.snapshotUsage()); n != 2 {
		t.Errorf("%d snapshots on disk, want 2", n)
	}
	// The image is complete: a container create gets past the image check.
	if msg := e.dockerFail("create", e.ref("busy", "latest")); !strings.Contains(msg, "containers are not supported by berthd yet") || strings.Contains(msg, "Unable to find image") {
		t.Errorf("create after the pull: %q", msg)
	}
}
