package integrationcli

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/containerd/platforms"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/ulikunitz/xz"

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

// TestImportFileFormats imports files plain and compressed: gzip and zstd
// layers are stored as they are, the others gzipped; the diff ID is always
// the tar's, and the message defaults to "Imported from -".
func TestImportFileFormats(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	for i, tc := range []struct {
		name     string
		compress func(t *testing.T, b []byte) []byte
		kept     bool
		media    string
	}{
		{"plain", func(_ *testing.T, b []byte) []byte { return b }, false, "application/vnd.oci.image.layer.v1.tar+gzip"},
		{"gzip", gzipBytes, true, "application/vnd.oci.image.layer.v1.tar+gzip"},
		{"zstd", zstdBytes, true, "application/vnd.oci.image.layer.v1.tar+zstd"},
		{"xz", xzBytes, false, "application/vnd.oci.image.layer.v1.tar+gzip"},
		{"bzip2", bzip2Bytes, false, "application/vnd.oci.image.layer.v1.tar+gzip"},
	} {
		tarball := rootfsTar(t, int64(10+i))
		file := filepath.Join(t.TempDir(), "rootfs."+tc.name)
		data := tc.compress(t, tarball)
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		name := "formats:" + tc.name
		id := e.importCLI(nil, file, name)
		m := e.manifestOf(id)
		if len(m.Layers) != 1 || m.Layers[0].MediaType != tc.media {
			t.Errorf("%s: layers %+v, want one %s", tc.name, m.Layers, tc.media)
			continue
		}
		if kept := m.Layers[0].Digest == digest.FromBytes(data); kept != tc.kept {
			t.Errorf("%s: layer blob is the file itself = %v, want %v", tc.name, kept, tc.kept)
		}
		diffIDs, _ := json.Marshal(e.inspect(name)["RootFS"].(map[string]any)["Layers"])
		if want := `["` + digest.FromBytes(tarball).String() + `"]`; string(diffIDs) != want {
			t.Errorf("%s: diff IDs %s, want %s", tc.name, diffIDs, want)
		}
		if c := e.inspect(name)["Comment"]; c != "Imported from -" {
			t.Errorf("%s: Comment = %v, want the default message", tc.name, c)
		}
		want := "rootfs " + strconv.Itoa(10+i) + "\n"
		if n := e.snapshotsWithFile("etc/marker", want); n != 1 {
			t.Errorf("%s: %d snapshots hold the files, want 1", tc.name, n)
		}
	}
}

// TestImportURL imports from an http URL: the stream says
// where it downloads from; a 404 is dockerd's error and stores nothing.
func TestImportURL(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	tarball := rootfsTar(t, 20)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/rootfs.tar" {
			http.Error(w, "no such file", http.StatusNotFound)
			return
		}
		w.Write(tarball)
	}))
	defer srv.Close()

	u := srv.URL + "/rootfs.tar"
	res := e.cli.Run("import", u, "fromurl:1")
	if res.ExitCode != 0 {
		t.Fatalf("docker import %s: %s", u, res.Combined())
	}
	if !strings.Contains(res.Stdout, "Downloading from "+u) {
		t.Errorf("output %q does not say where it downloads from", res.Stdout)
	}
	if c := e.inspect("fromurl:1")["Comment"]; c != "Imported from "+u {
		t.Errorf("Comment = %v, want Imported from %s", c, u)
	}

	before := e.contentBlobs()
	msg := e.dockerFail("import", srv.URL+"/missing.tar", "fromurl:2")
	want := "failed to GET " + srv.URL + "/missing.tar with status 404 Not Found: no such file"
	if !strings.Contains(msg, want) {
		t.Errorf("error %q, want %q", msg, want)
	}
	if after := e.contentBlobs(); len(after) != len(before) {
		t.Errorf("a failed import changed the content store: %d blobs, had %d", len(after), len(before))
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
	corruptGzip := gzipBytes(t, good)
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

// manifestOf reads the manifest an image ID names from the content store.
func (e *imageEnv) manifestOf(id string) ocispec.Manifest {
	e.t.Helper()
	dgst := digest.Digest(id)
	b, err := os.ReadFile(filepath.Join(e.d.DataRoot(), "containerd", "content", "blobs", "sha256", dgst.Encoded()))
	if err != nil {
		e.t.Fatal(err)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(b, &m); err != nil || m.MediaType != ocispec.MediaTypeImageManifest {
		e.t.Fatalf("manifest %s: %v (media type %q)", id, err, m.MediaType)
	}
	return m
}

func hostArch(t *testing.T) string {
	return platforms.DefaultSpec().Architecture
}

func unixTime(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixNano())/1e9, 'f', 6, 64)
}

func gzipBytes(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zstdBytes(t *testing.T, b []byte) []byte {
	w, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	return w.EncodeAll(b, nil)
}

func xzBytes(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	w, err := xz.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// bzip2Bytes compresses with the bzip2 tool (Go has no bzip2 writer).
func bzip2Bytes(t *testing.T, b []byte) []byte {
	cmd := exec.Command("bzip2", "-c")
	cmd.Stdin = bytes.NewReader(b)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bzip2: %v", err)
	}
	return out
}
