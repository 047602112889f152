package integrationcli

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	units "github.com/docker/go-units"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// pruneOutput splits `docker image prune` output into its untagged and
// deleted entries and the total line.
func pruneOutput(t *testing.T, out string) (untagged, deleted []string, total string) {
	t.Helper()
	for _, l := range lines(out) {
		switch {
		case strings.HasPrefix(l, "untagged: "):
			untagged = append(untagged, strings.TrimPrefix(l, "untagged: "))
		case strings.HasPrefix(l, "deleted: "):
			deleted = append(deleted, strings.TrimPrefix(l, "deleted: "))
		case strings.HasPrefix(l, "Total reclaimed space: "):
			total = strings.TrimPrefix(l, "Total reclaimed space: ")
		case l == "Deleted Images:":
		default:
			t.Errorf("unexpected prune output line %q", l)
		}
	}
	return untagged, deleted, total
}

// reclaimedEvent returns the "reclaimed" attribute of the last image prune
// event: the exact byte count behind the CLI's human-readable total.
func (e *imageEnv) reclaimedEvent(since time.Time) int64 {
	e.t.Helper()
	out := e.docker("events", "--since", strconv.FormatInt(since.Unix(), 10), "--until", strconv.FormatInt(time.Now().Unix()+1, 10),
		"--filter", "type=image", "--filter", "event=prune", "--format", "{{.Actor.Attributes.reclaimed}}")
	rows := lines(out)
	if len(rows) == 0 {
		e.t.Fatalf("no prune event")
	}
	n, err := strconv.ParseInt(rows[len(rows)-1], 10, 64)
	if err != nil {
		e.t.Fatalf("reclaimed attribute %q: %v", rows[len(rows)-1], err)
	}
	return n
}

// danglingImage pulls app:1 and app:2 (images of seed and seed+1), then
// tags app:2's image app:1: the first image is left dangling, and returned.
func (e *imageEnv) danglingImage(seed int64) *fixtures.BuiltImage {
	e.t.Helper()
	old := e.pushPull("app", "1", smallImage(seed))
	e.pushPull("app", "2", smallImage(seed+1))
	e.docker("tag", e.ref("app", "2"), e.ref("app", "1"))
	return old
}

// TestPruneDangling prunes the one dangling image: the report lists exactly
// the blobs that left the disk, and the reclaimed space is their size plus
// the snapshots that left.
func TestPruneDangling(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	start := time.Now()
	old := e.danglingImage(60)

	blobs0, snaps0 := e.contentBlobs(), e.snapshotUsage()
	untagged, deleted, total := pruneOutput(t, e.docker("image", "prune", "-f"))
	blobs1, snaps1 := e.contentBlobs(), e.snapshotUsage()

	var gone []string
	var want int64
	for d, n := range blobs0 {
		if _, ok := blobs1[d]; !ok {
			gone = append(gone, d.String())
			want += n
		}
	}
	for id, n := range snaps0 {
		if _, ok := snaps1[id]; !ok {
			want += n
		}
	}
	if len(untagged) != 0 {
		t.Errorf("prune of a dangling image untagged %v", untagged)
	}
	if len(deleted) == 0 || deleted[0] != old.Digest.String() {
		t.Errorf("deleted %v, want the image ID %s first", deleted, old.Digest)
	}
	wantGone := []string{old.Digest.String(), old.ConfigDigest.String(), old.Layers[0].Digest.String()}
	slices.Sort(gone)
	slices.Sort(deleted)
	slices.Sort(wantGone)
	if !slices.Equal(gone, wantGone) || !slices.Equal(deleted, gone) {
		t.Errorf("blobs gone from disk %v, reported %v, want the old image's %v", gone, deleted, wantGone)
	}
	if len(snaps1) != len(snaps0)-1 {
		t.Errorf("snapshots %d → %d, want one fewer", len(snaps0), len(snaps1))
	}
	if got := e.reclaimedEvent(start); got != want {
		t.Errorf("reclaimed %d bytes, measured %d on disk", got, want)
	}
	if total != units.HumanSize(float64(want)) {
		t.Errorf("CLI total %q, want %q", total, units.HumanSize(float64(want)))
	}
	// The tagged image stays; nothing is left to prune.
	e.docker("image", "inspect", e.ref("app", "1"))
	if _, deleted, total := pruneOutput(t, e.docker("image", "prune", "-f")); len(deleted) != 0 || total != "0B" {
		t.Errorf("second prune deleted %v, total %s", deleted, total)
	}
}

// TestPruneAllWithFilters prunes with -a and label!/label/until filters, and
// checks dockerd's error for an unknown filter.
func TestPruneAllWithFilters(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	keepImg := smallImage(62)
	keepImg.Labels = map[string]string{"keep": "yes"}
	keep := e.pushPull("keep", "1", keepImg)
	e.pushPull("drop", "1", smallImage(63))
	old := e.pushPull("drop", "2", smallImage(64))
	e.docker("tag", e.ref("drop", "1"), e.ref("drop", "2")) // old is now dangling

	if _, deleted, _ := pruneOutput(t, e.docker("image", "prune", "-a", "-f", "--filter", "until=1h")); len(deleted) != 0 {
		t.Errorf("prune -a until=1h deleted %v; every image is younger", deleted)
	}
	if msg := e.dockerFail("image", "prune", "-f", "--filter", "color=red"); !strings.Contains(msg, "invalid filter 'color'") {
		t.Errorf("prune with an unknown filter: %q", msg)
	}

	untagged, deleted, _ := pruneOutput(t, e.docker("image", "prune", "-a", "-f", "--filter", "label!=keep=yes"))
	slices.Sort(untagged)
	if want := []string{e.ref("drop", "1"), e.ref("drop", "2")}; !slices.Equal(untagged, want) {
		t.Errorf("untagged %v, want %v", untagged, want)
	}
	if !slices.Contains(deleted, old.Digest.String()) {
		t.Errorf("deleted %v lacks the dangling image %s", deleted, old.Digest)
	}
	rows := lines(e.docker("images", "-a", "-q", "--no-trunc"))
	if !slices.Equal(rows, []string{keep.Digest.String()}) {
		t.Errorf("images left %v, want only %s", rows, keep.Digest)
	}
	untagged, _, _ = pruneOutput(t, e.docker("image", "prune", "-a", "-f", "--filter", "label=keep"))
	if !slices.Equal(untagged, []string{e.ref("keep", "1")}) {
		t.Errorf("prune -a label=keep untagged %v", untagged)
	}
	if blobs := e.contentBlobs(); len(blobs) != 0 {
		t.Errorf("blobs left after pruning everything: %v", blobs)
	}
}

// TestPruneDuringPull prunes everything while a pull is in flight: the
// prune does its job, and the pull still completes with all its content
// (berthd never deletes the pull's lease).
func TestPruneDuringPull(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	shared := fixtures.Layer{Seed: 65, Size: 128 << 10}
	other := e.pushPull("other", "1", fixtures.Image{Layers: []fixtures.Layer{shared}})
	big := e.push("big", "1", fixtures.Image{Layers: []fixtures.Layer{shared, {Seed: 66, Size: 512 << 10}, {Seed: 67}}})
	stall := e.reg.StallBlob("big", big.Layers[1].Digest, 32<<10)

	pull := e.cli.Start("pull", e.ref("big", "1"))
	select {
	case <-stall.Reached():
	case <-pull.Done():
		t.Fatalf("pull ended before the stalled layer: %s %s", pull.Stdout(), pull.Stderr())
	}
	untagged, deleted, _ := pruneOutput(t, e.docker("image", "prune", "-a", "-f"))
	if !slices.Equal(untagged, []string{e.ref("other", "1")}) || !slices.Contains(deleted, other.Digest.String()) {
		t.Errorf("prune during the pull: untagged %v deleted %v, want other:1 gone", untagged, deleted)
	}
	stall.Release()
	if res := pull.Wait(); res.ExitCode != 0 {
		t.Fatalf("pull after the prune failed: %s\n%s", res.Stdout, res.Stderr)
	}
	got := strings.TrimSpace(e.docker("image", "inspect", "-f", "{{.Id}} {{len .RootFS.Layers}}", e.ref("big", "1")))
	if got != big.Digest.String()+" 3" {
		t.Errorf("after the pull: %q, want %s with 3 layers", got, big.Digest)
	}
	blobs := e.contentBlobs()
	for _, d := range append(big.LayerDigests(), big.Digest, big.ConfigDigest) {
		if _, ok := blobs[d]; !ok {
			t.Errorf("blob %s of the pulled image missing", d)
		}
	}
	if _, ok := blobs[other.Digest]; ok {
		t.Errorf("the pruned image's manifest is still on disk")
	}
	if n := len(e.snapshotUsage()); n != 3 {
		t.Errorf("%d snapshots on disk, want the pulled image's 3", n)
	}
	if msg := e.dockerFail("create", e.ref("big", "1")); strings.Contains(msg, "Unable to find image") {
		t.Errorf("the pulled image is incomplete: %q", msg)
	}
}
