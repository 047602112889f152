package integrationcli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/containerd/platforms"
	"github.com/opencontainers/go-digest"

	"github.com/berth-dev/berth/testutil/berthd"
	ctdtest "github.com/berth-dev/berth/testutil/containerd"
	"github.com/berth-dev/berth/testutil/dockercli"
	"github.com/berth-dev/berth/testutil/fixtures"
)

// rootfsTar is a small root filesystem archive with a marker file whose
// content depends on seed.
func rootfsTar(t *testing.T, seed int64) []byte {
	t.Helper()
	l, err := fixtures.Layer{
		Seed: seed, Size: 32 << 10, Compression: fixtures.Uncompressed,
		Files: []fixtures.File{{Path: "etc/marker", Content: []byte("rootfs " + strconv.FormatInt(seed, 10) + "\n")}},
	}.Build(fixtures.OCI)
	if err != nil {
		t.Fatal(err)
	}
	return l.Blob
}

// importCLI runs `docker import` with stdin and returns the ID it printed.
func (e *imageEnv) importCLI(stdin []byte, args ...string) string {
	e.t.Helper()
	res := e.cli.RunWithStdin(bytes.NewReader(stdin), append([]string{"import"}, args...)...)
	if res.ExitCode != 0 {
		e.t.Fatalf("docker import %v: exit %d\n%s", args, res.ExitCode, res.Combined())
	}
	out := lines(res.Stdout)
	if len(out) == 0 || !strings.HasPrefix(out[len(out)-1], "sha256:") {
		e.t.Fatalf("docker import %v printed %q, want the image ID last", args, res.Stdout)
	}
	return out[len(out)-1]
}

// snapshotWithFile returns the number of overlayfs snapshots holding rel
// with content want.
func (e *imageEnv) snapshotsWithFile(rel, want string) int {
	e.t.Helper()
	matches, _ := filepath.Glob(filepath.Join(e.d.DataRoot(), "containerd", "snapshots", "overlayfs", "snapshots", "*", "fs", rel))
	n := 0
	for _, m := range matches {
		if b, err := os.ReadFile(m); err == nil && string(b) == want {
			n++
		}
	}
	return n
}

// TestImportStdinWithChanges imports a tarball from stdin with --change and
// -m: inspect and history show the config, the message, the platform and
// the layer; the layer is unpacked; the events are tag then import.
func TestImportStdinWithChanges(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	tarball := rootfsTar(t, 1)
	start := time.Now()
	id := e.importCLI(tarball,
		"--change", `CMD ["/bin/sh"]`, "--change", "ENV A=b", "--change", "env C=${A}d",
		"--change", "EXPOSE 80 53/udp", "--change", "WORKDIR /srv", "--change", "LABEL tier=web",
		"-m", "my message", "-", "imported:1")
	end := time.Now()

	insp := e.inspect("imported:1")
	if insp["Id"] != id {
		t.Errorf("Id = %v, want the printed %s", insp["Id"], id)
	}
	cfg := insp["Config"].(map[string]any)
	check := func(field string, want string) {
		t.Helper()
		got, _ := json.Marshal(cfg[field])
		if string(got) != want {
			t.Errorf("Config.%s = %s, want %s", field, got, want)
		}
	}
	check("Cmd", `["/bin/sh"]`)
	check("Env", `["A=b","C=bd"]`)
	check("ExposedPorts", `{"53/udp":{},"80/tcp":{}}`)
	check("WorkingDir", `"/srv"`)
	check("Labels", `{"tier":"web"}`)
	if insp["Os"] != "linux" || insp["Architecture"] != hostArch(t) {
		t.Errorf("platform = %v/%v, want linux/%s", insp["Os"], insp["Architecture"], hostArch(t))
	}
	if insp["Comment"] != "my message" {
		t.Errorf("Comment = %v, want the message", insp["Comment"])
	}
	layers, _ := json.Marshal(insp["RootFS"].(map[string]any)["Layers"])
	if want := `["` + digest.FromBytes(tarball).String() + `"]`; string(layers) != want {
		t.Errorf("RootFS.Layers = %s, want the tar's diff ID %s", layers, want)
	}
	hist := lines(e.docker("history", "--no-trunc", "--format", "{{.ID}}|{{.CreatedBy}}|{{.Comment}}", "imported:1"))
	if want := []string{id + "||my message"}; !slices.Equal(hist, want) {
		t.Errorf("history = %q, want %q", hist, want)
	}
	if n := e.snapshotsWithFile("etc/marker", "rootfs 1\n"); n != 1 {
		t.Errorf("%d snapshots hold the imported files, want 1 (unpacked)", n)
	}
	evs := lines(e.docker("events", "--since", unixTime(start), "--until", unixTime(end.Add(time.Second)),
		"--format", `{{.Action}}|{{.Actor.ID}}|{{index .Actor.Attributes "name"}}|{{index .Actor.Attributes "tier"}}`))
	if want := []string{"tag|" + id + "|imported:1|web", "import|" + id + "|" + id + "|web"}; !slices.Equal(evs, want) {
		t.Errorf("events = %q, want %q", evs, want)
	}
}

// TestImportUntaggedAndRenamed imports without a name: the image is listed
// as dangling, by its ID. An import to a name another import holds leaves
// the older image dangling.
func TestImportUntaggedAndRenamed(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	dangling := func() []string {
		t.Helper()
		return lines(e.docker("images", "--no-trunc", "--filter", "dangling=true", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"))
	}
	id := e.importCLI(rootfsTar(t, 30), "-")
	if got, want := dangling(), []string{"<none>:<none> " + id}; !slices.Equal(got, want) {
		t.Errorf("dangling images = %q, want %q", got, want)
	}

	first := e.importCLI(rootfsTar(t, 31), "-", "renamed:1")
	second := e.importCLI(rootfsTar(t, 32), "-", "renamed:1")
	if got := e.inspect("renamed:1")["Id"]; got != second {
		t.Errorf("renamed:1 = %v, want the second import %s", got, second)
	}
	got := dangling()
	slices.Sort(got)
	want := []string{"<none>:<none> " + first, "<none>:<none> " + id}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("dangling images = %q, want %q", got, want)
	}
}

// TestImportRejected checks that bad changes and bad archives are refused
// with dockerd's errors and leave nothing: no image, blob or snapshot.
func TestImportRejected(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	good := rootfsTar(t, 40)
	corruptGzip := fixtures.GzipBytes(t, good)
	corruptGzip = append(corruptGzip[:len(corruptGzip)/2:len(corruptGzip)/2], bytes.Repeat([]byte{0x55}, 64)...)
	for _, tc := range []struct {
		name  string
		stdin []byte
		args  []string
		want  string
	}{
		{"RUN", good, []string{"--change", "RUN echo hi"}, "RUN is not a valid change command"},
		{"lower-case copy", good, []string{"--change", "copy a b"}, "copy is not a valid change command"},
		{"FROM", good, []string{"--change", "ENV A=b", "--change", "FROM busybox"}, "FROM is not a valid change command"},
		{"STOPSIGNAL", good, []string{"--change", "STOPSIGNAL SIGNOPE"}, "invalid signal: SIGNOPE"},
		{"EXPOSE", good, []string{"--change", "EXPOSE 80/bogus"}, "invalid proto: bogus"},
		{"not a tar", []byte(strings.Repeat("this is not a tar archive\n", 40)), nil, "invalid layer archive"},
		{"truncated tar", good[:1000], nil, "invalid layer archive"},
		{"corrupt gzip", corruptGzip, nil, "invalid layer archive"},
		{"digest repo", good, []string{"-", "busybox@sha256:" + strings.Repeat("a", 64)}, "cannot import digest reference"},
	} {
		args := append([]string{"import"}, tc.args...)
		if !slices.Contains(tc.args, "-") {
			args = append(args, "-", "rejected:1")
		}
		res := e.cli.RunWithStdin(bytes.NewReader(tc.stdin), args...)
		if res.ExitCode == 0 || !strings.Contains(res.Stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want failure with %q", tc.name, res.ExitCode, res.Stderr, tc.want)
		}
	}
	if imgs := lines(e.docker("images", "-a", "-q")); len(imgs) != 0 {
		t.Errorf("rejected imports left images: %v", imgs)
	}
	if blobs := e.contentBlobs(); len(blobs) != 0 {
		t.Errorf("rejected imports left %d blobs", len(blobs))
	}
	if snaps := e.snapshotUsage(); len(snaps) != 0 {
		t.Errorf("rejected imports left %d snapshots", len(snaps))
	}
	if ingests := e.ingests(); len(ingests) != 0 {
		t.Errorf("rejected imports left %d ingests", len(ingests))
	}
}

func hostArch(t *testing.T) string {
	return platforms.DefaultSpec().Architecture
}

func unixTime(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixNano())/1e9, 'f', 6, 64)
}

// TestImportRemoteContainerd imports on a real containerd (--containerd):
// the layer lands in containerd's content store and is unpacked there, and
// a bad archive leaves no blob behind.
func TestImportRemoteContainerd(t *testing.T) {
	sock, ctdRoot := ctdtest.Start(t)
	d := berthd.Start(t, "--containerd", sock)
	cli := dockercli.New(t, d.Host())
	tarball := rootfsTar(t, 50)
	res := cli.RunWithStdin(bytes.NewReader(tarball), "import", "--change", "CMD [\"/bin/sh\"]", "-", "remote/imported:1")
	if res.ExitCode != 0 {
		t.Fatalf("import: %s", res.Combined())
	}
	id := strings.TrimSpace(res.Stdout)
	out := cli.MustRun("image", "inspect", "-f", "{{.Id}} {{json .Config.Cmd}} {{json .RootFS.Layers}}", "remote/imported:1").Stdout
	if want := id + ` ["/bin/sh"] ["` + digest.FromBytes(tarball).String() + `"]`; strings.TrimSpace(out) != want {
		t.Errorf("inspect = %q, want %q", out, want)
	}
	blobs := func() int {
		entries, _ := os.ReadDir(filepath.Join(ctdRoot, "io.containerd.content.v1.content", "blobs", "sha256"))
		return len(entries)
	}
	if n := blobs(); n != 3 {
		t.Errorf("%d blobs in containerd, want 3 (layer, config, manifest)", n)
	}
	found, _ := filepath.Glob(filepath.Join(ctdRoot, "io.containerd.snapshotter.v1.overlayfs", "snapshots", "*", "fs", "etc", "marker"))
	if len(found) != 1 {
		t.Errorf("unpacked snapshots holding the files: %v, want one", found)
	}
	bad := cli.RunWithStdin(bytes.NewReader(tarball[:len(tarball)/2]), "import", "-", "remote/bad:1")
	if bad.ExitCode == 0 || !strings.Contains(bad.Stderr, "invalid layer archive") {
		t.Errorf("bad import: exit %d, %q", bad.ExitCode, bad.Stderr)
	}
	if n := blobs(); n != 3 {
		t.Errorf("%d blobs in containerd after a rejected import, want 3", n)
	}
}
