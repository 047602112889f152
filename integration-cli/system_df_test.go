package integrationcli

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/docker/go-units"
	"github.com/moby/moby/client"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// dfEnv holds two pulled images sharing a base layer and an imported one.
type dfEnv struct {
	*imageEnv
	base   fixtures.BuiltLayer
	shared int64 // the base layer's blob plus its snapshot's usage
	ids    map[string]string
}

func newDfEnv(t *testing.T) *dfEnv {
	e := &dfEnv{imageEnv: newImageEnv(t), ids: map[string]string{}}
	base := fixtures.Layer{Seed: 190, Size: 300 << 10}
	a := e.pushPull("df/a", "1", fixtures.Image{Layers: []fixtures.Layer{base, {Seed: 191, Size: 20 << 10}}})
	b := e.pushPull("df/b", "1", fixtures.Image{Layers: []fixtures.Layer{base, {Seed: 192, Size: 40 << 10}}})
	e.ids["a"], e.ids["b"] = a.Digest.String(), b.Digest.String()
	e.ids["c"] = e.importCLI(rootfsTar(t, 193), "-", "df/c:1")
	e.base = a.Layers[0]
	found, _ := filepath.Glob(filepath.Join(e.d.DataRoot(), "containerd", "snapshots", "overlayfs", "snapshots", "*", "fs", "layer-190"))
	if len(found) != 1 {
		t.Fatalf("snapshots of the base layer: %v, want one", found)
	}
	e.shared = e.base.Size + diskUsage(t, filepath.Dir(found[0]))
	return e
}

// diskTotal is what the images take on disk: every blob and snapshot.
func (e *dfEnv) diskTotal() int64 {
	return sum(e.contentBlobs()) + sum(e.snapshotUsage())
}

// TestSystemDf checks `docker system df`: the table, and with --format the
// figures, which are what the content store and the snapshots take.
func TestSystemDf(t *testing.T) {
	t.Parallel()
	e := newDfEnv(t)
	disk := e.diskTotal()
	total := units.HumanSize(float64(disk))

	// The Go SDK reads the same figures, exactly.
	api, err := client.New(client.WithHost(e.d.Host()), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	du, err := api.DiskUsage(t.Context(), client.DiskUsageOptions{Images: true})
	if err != nil {
		t.Fatal(err)
	}
	if du.Images.TotalSize != disk || du.Images.Reclaimable != disk-e.shared || du.Images.TotalCount != 3 {
		t.Errorf("SDK images usage %+v, want total %d (the disk), reclaimable %d (dockerd sums Size − SharedSize: the total less the shared layer)",
			du.Images, disk, disk-e.shared)
	}

	rows := lines(e.docker("system", "df", "--format", "{{.Type}}|{{.TotalCount}}|{{.Active}}|{{.Size}}|{{.Reclaimable}}"))
	want := []string{
		"Images|3|0|" + total + "|" + total + " (100%)",
		"Containers|0|0|0B|0B",
		"Local Volumes|0|0|0B|0B",
		"Build Cache|0|0|0B|0B",
	}
	if !slices.Equal(rows, want) {
		t.Errorf("system df rows:\n%s\nwant:\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}

	table := lines(e.docker("system", "df"))
	if len(table) != 5 || !regexp.MustCompile(`^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE$`).MatchString(table[0]) {
		t.Fatalf("system df table:\n%s", strings.Join(table, "\n"))
	}
	if !regexp.MustCompile(`^Images +3 +0 +` + regexp.QuoteMeta(total) + ` +` + regexp.QuoteMeta(total) + ` \(100%\)$`).MatchString(table[1]) {
		t.Errorf("images row %q, want 3 images of %s, all reclaimable", table[1], total)
	}
}

// TestSystemDfVerbose checks `docker system df -v`: one row per image with
// the size `docker images` shows, the shared base layer as SHARED SIZE and
// no container; then the empty sections.
func TestSystemDfVerbose(t *testing.T) {
	t.Parallel()
	e := newDfEnv(t)
	sizes := map[string]string{}
	for _, row := range lines(e.docker("images", "--no-trunc", "--format", "{{.ID}} {{.Size}}")) {
		id, size, _ := strings.Cut(row, " ")
		sizes[id] = size
	}
	out := e.docker("system", "df", "-v")
	images, rest, ok := strings.Cut(out, "\nContainers space usage:")
	if !ok || !strings.HasPrefix(images, "Images space usage:\n\n") {
		t.Fatalf("system df -v:\n%s", out)
	}
	rows := lines(strings.TrimPrefix(images, "Images space usage:\n\n"))
	if !regexp.MustCompile(`^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE +SHARED SIZE +UNIQUE SIZE +CONTAINERS$`).MatchString(rows[0]) {
		t.Errorf("images header %q", rows[0])
	}
	shared := units.HumanSize(float64(e.shared))
	got := map[string][]string{}
	for _, row := range rows[1:] {
		cols := regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(row), -1)
		if len(cols) != 8 {
			t.Fatalf("row %q has %d columns", row, len(cols))
		}
		got[cols[0]+":"+cols[1]] = cols
	}
	for name, key := range map[string]string{"df/c:1": "c", e.reg.Host() + "/df/a:1": "a", e.reg.Host() + "/df/b:1": "b"} {
		cols, ok := got[name]
		if !ok {
			t.Errorf("no row for %s in\n%s", name, images)
			continue
		}
		wantShared := shared
		if key == "c" {
			wantShared = "0B"
		}
		id := e.ids[key]
		if !strings.HasPrefix(id, "sha256:"+cols[2]) || cols[4] != sizes[id] || cols[5] != wantShared || cols[7] != "0" {
			t.Errorf("%s: %q, want ID %.19s, size %s (as docker images), shared %s, 0 containers", name, cols, id, sizes[id], wantShared)
		}
	}
	for _, section := range []string{"Local Volumes space usage:", "Build cache usage: 0B"} {
		if !strings.Contains(rest, section) {
			t.Errorf("system df -v lacks %q:\n%s", section, rest)
		}
	}
}

// TestSystemDfEmpty: an empty store reports zeros.
func TestSystemDfEmpty(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	rows := lines(e.docker("system", "df", "--format", "{{.Type}}|{{.TotalCount}}|{{.Size}}|{{.Reclaimable}}"))
	if want := []string{"Images|0|0B|0B", "Containers|0|0B|0B", "Local Volumes|0|0B|0B", "Build Cache|0|0B|0B"}; !slices.Equal(rows, want) {
		t.Errorf("rows %q, want %q", rows, want)
	}
}
