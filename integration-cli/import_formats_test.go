package integrationcli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// TestImportFileFormats imports files plain and compressed: gzip and zstd
// layers are stored as they are, the others gzipped; the diff ID is always
// the tar's, and the message defaults to "Imported from -".
func TestImportFileFormats(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	for i, tc := range []struct {
		name     string
		compress func(tb testing.TB, b []byte) []byte
		kept     bool
		media    string
	}{
		{"plain", func(_ testing.TB, b []byte) []byte { return b }, false, "application/vnd.oci.image.layer.v1.tar+gzip"},
		{"gzip", fixtures.GzipBytes, true, "application/vnd.oci.image.layer.v1.tar+gzip"},
		{"zstd", fixtures.ZstdBytes, true, "application/vnd.oci.image.layer.v1.tar+zstd"},
		{"xz", fixtures.XzBytes, false, "application/vnd.oci.image.layer.v1.tar+gzip"},
		{"bzip2", fixtures.Bzip2Bytes, false, "application/vnd.oci.image.layer.v1.tar+gzip"},
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
