package integrationcli

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// TestImageInspectByEveryName resolves one image by full ID (with and
// without "sha256:"), short ID, name:tag, tag-less name and name@digest, and
// checks what inspect reports about it.
func TestImageInspectByEveryName(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	img := fixtures.Image{
		Layers:     []fixtures.Layer{{Seed: 20}, {Seed: 21}},
		Cmd:        []string{"/bin/app", "--serve"},
		Env:        []string{"MODE=prod"},
		Labels:     map[string]string{"org.example.team": "infra"},
		WorkingDir: "/srv",
		Created:    time.Date(2024, 2, 3, 4, 5, 6, 0, time.UTC),
	}
	b := e.pushPull("svc/api", "latest", img)
	id := b.Digest.String()

	for _, name := range []string{
		id,
		b.Digest.Encoded(),
		b.Digest.Encoded()[:12],
		"sha256:" + b.Digest.Encoded()[:12],
		e.ref("svc/api", "latest"),
		e.reg.Host() + "/svc/api",
		e.reg.Host() + "/svc/api@" + id,
	} {
		if got := strings.TrimSpace(e.docker("image", "inspect", "-f", "{{.Id}}", name)); got != id {
			t.Errorf("inspect %s: Id = %s, want %s", name, got, id)
		}
	}

	got := e.inspect(e.ref("svc/api", "latest"))
	check := func(field string, got, want any) {
		t.Helper()
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		if string(gj) != string(wj) {
			t.Errorf("%s = %s, want %s", field, gj, wj)
		}
	}
	check("RepoTags", got["RepoTags"], []string{e.ref("svc/api", "latest")})
	check("RepoDigests", got["RepoDigests"], []string{e.reg.Host() + "/svc/api@" + id})
	check("Architecture", got["Architecture"], "amd64")
	check("Os", got["Os"], "linux")
	check("Created", got["Created"], "2024-02-03T04:05:06Z")
	cfg := got["Config"].(map[string]any)
	check("Config.Cmd", cfg["Cmd"], img.Cmd)
	check("Config.Env", cfg["Env"], img.Env)
	check("Config.WorkingDir", cfg["WorkingDir"], "/srv")
	check("Config.Labels", cfg["Labels"], img.Labels)
	check("RootFS.Layers", got["RootFS"].(map[string]any)["Layers"], b.DiffIDs())
	check("Descriptor.digest", got["Descriptor"].(map[string]any)["digest"], id)
}

// TestImageInspectDanglingHasEmptyLists checks that an image without names
// reports RepoTags and RepoDigests as [] (never null).
func TestImageInspectDanglingHasEmptyLists(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	old := e.pushPull("app", "latest", smallImage(22))
	e.pushPull("app", "next", smallImage(23))
	e.docker("tag", e.ref("app", "next"), e.ref("app", "latest"))

	raw := e.docker("image", "inspect", "-f", "{{json .RepoTags}} {{json .RepoDigests}}", old.Digest.String())
	if strings.TrimSpace(raw) != "[] []" {
		t.Errorf("dangling image RepoTags RepoDigests = %s, want [] []", raw)
	}
}

// TestImageInspectErrors checks unknown names, invalid names and an
// ambiguous ID prefix.
func TestImageInspectErrors(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)

	// Two images whose IDs share their first four hex digits: found by
	// building (deterministically) until two collide.
	first := map[string]fixtures.Image{}
	var pair [2]fixtures.Image
	var prefix string
	for i := 0; prefix == ""; i++ {
		img := fixtures.Image{Labels: map[string]string{"n": strconv.Itoa(i)}}
		b, err := img.Build()
		if err != nil {
			t.Fatal(err)
		}
		p := b.Digest.Encoded()[:4]
		if other, ok := first[p]; ok {
			pair, prefix = [2]fixtures.Image{other, img}, p
		}
		first[p] = img
	}
	x := e.pushPull("amb/x", "1", pair[0])
	y := e.pushPull("amb/y", "1", pair[1])

	msg := e.dockerFail("image", "inspect", prefix)
	for _, want := range []string{"ambiguous image ID prefix", x.Digest.String(), y.Digest.String()} {
		if !strings.Contains(msg, want) {
			t.Errorf("inspect %s: %q lacks %q", prefix, msg, want)
		}
	}
	// One more digit (where they differ) is unique again.
	n := 4
	for x.Digest.Encoded()[n] == y.Digest.Encoded()[n] {
		n++
	}
	if got := strings.TrimSpace(e.docker("image", "inspect", "-f", "{{.Id}}", x.Digest.Encoded()[:n+1])); got != x.Digest.String() {
		t.Errorf("inspect %s = %s, want %s", x.Digest.Encoded()[:n+1], got, x.Digest)
	}

	for _, tc := range []struct{ name, want string }{
		{"nope", "No such image: nope:latest"},
		{"nope:1.0", "No such image: nope:1.0"},
		{e.reg.Host() + "/amb/x:2", "No such image: " + e.reg.Host() + "/amb/x:2"},
		// A digest stored under amb/x is not amb/y's.
		{e.reg.Host() + "/amb/y@" + x.Digest.String(), "No such image: " + e.reg.Host() + "/amb/y@" + x.Digest.String()},
		{"sha256:" + strings.Repeat("0", 64), "No such image: sha256:" + strings.Repeat("0", 64)},
		{"Upper/Case", "invalid reference format"},
	} {
		if msg := e.dockerFail("image", "inspect", tc.name); !strings.Contains(msg, tc.want) {
			t.Errorf("inspect %s: %q, want %q", tc.name, msg, tc.want)
		}
	}
}

// TestImageInspectPlatform pulls two platforms of one index and inspects
// each with --platform; a platform the image lacks is a not-found.
func TestImageInspectPlatform(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	idx := e.pushIndex("multi", "v1", fixtures.Index{Manifests: fixtures.Platforms("linux/amd64", "linux/arm/v7")})
	ref := e.ref("multi", "v1")
	e.cli.MustRun("pull", "-q", "--platform", "linux/amd64", ref)
	e.cli.MustRun("pull", "-q", "--platform", "linux/arm/v7", ref)

	if got := strings.TrimSpace(e.docker("image", "inspect", "-f", "{{.Id}} {{.Architecture}}", ref)); got != idx.Digest.String()+" amd64" {
		t.Errorf("inspect without platform = %q, want the index ID and the host's platform", got)
	}
	arm := idx.Image("linux/arm/v7")
	got := strings.TrimSpace(e.docker("image", "inspect", "--platform", "linux/arm/v7", "-f", "{{.Id}} {{.Os}}/{{.Architecture}}/{{.Variant}}", ref))
	if want := arm.Digest.String() + " linux/arm/v7"; got != want {
		t.Errorf("inspect --platform linux/arm/v7 = %q, want %q", got, want)
	}
	msg := e.dockerFail("image", "inspect", "--platform", "linux/s390x", ref)
	if want := "image with reference " + ref + " was found but does not provide the specified platform (linux/s390x)"; !strings.Contains(msg, want) {
		t.Errorf("inspect --platform linux/s390x: %q, want %q", msg, want)
	}
}

// TestImageHistory checks `docker history`: newest first, the image ID on
// the top row and <missing> below, each layer's unpacked size as measured
// on disk, and the CLI's --platform.
func TestImageHistory(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	b := e.pushPull("hist", "1", fixtures.Image{
		Layers: []fixtures.Layer{
			{Seed: 30, Size: 100 << 10, CreatedBy: "RUN make world"},
			{Seed: 31, Size: 20 << 10, CreatedBy: "COPY app /app"},
		},
		Cmd: []string{"/app"},
	})
	out := e.docker("history", "--no-trunc", "--human=false", "--format", "{{.ID}}|{{.CreatedBy}}|{{.Size}}", e.ref("hist", "1"))
	rows := lines(out)
	if len(rows) != 3 {
		t.Fatalf("history rows:\n%s\nwant 3 (CMD, COPY, RUN)", out)
	}
	var sizes []int64
	for i, want := range []struct{ id, by string }{
		{b.Digest.String(), "CMD"},
		{"<missing>", "COPY app /app"},
		{"<missing>", "RUN make world"},
	} {
		f := strings.Split(rows[i], "|")
		if f[0] != want.id || !strings.Contains(f[1], want.by) {
			t.Errorf("row %d = %q, want ID %s created by %q", i, rows[i], want.id, want.by)
		}
		n, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			t.Fatalf("row %d size %q: %v", i, f[2], err)
		}
		sizes = append(sizes, n)
	}
	if sizes[0] != 0 {
		t.Errorf("CMD row size %d, want 0", sizes[0])
	}
	// Two snapshots on disk, one per layer; the history shows their usage.
	disk := e.snapshotUsage()
	if len(disk) != 2 || sizes[1]+sizes[2] != sum(disk) || sizes[1] == 0 || sizes[2] < sizes[1] {
		t.Errorf("layer sizes %v, snapshots on disk %v", sizes[1:], disk)
	}

	if msg := e.dockerFail("history", "nope"); !strings.Contains(msg, "No such image: nope:latest") {
		t.Errorf("history nope: %q", msg)
	}
	if msg := e.dockerFail("history", "--platform", "linux/arm64", e.ref("hist", "1")); !strings.Contains(msg, "does not provide the specified platform (linux/arm64)") {
		t.Errorf("history --platform linux/arm64: %q", msg)
	}
}
