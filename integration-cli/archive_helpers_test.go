package integrationcli

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
)

// tarEntry is one file of an archive a test reads or writes.
type tarEntry struct {
	Name string
	Type byte // tar.TypeReg when 0
	Mode int64
	Link string
	Data []byte
}

// readTar lists the entries of a tar, in order; it fails the test on a
// malformed tar.
func readTar(t *testing.T, data []byte) []tarEntry {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(data))
	var out []tarEntry
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("read tar: %v", err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("read tar entry %s: %v", hdr.Name, err)
		}
		out = append(out, tarEntry{Name: hdr.Name, Type: hdr.Typeflag, Mode: hdr.Mode, Link: hdr.Linkname, Data: b})
	}
}

// tarFile returns the content of the entry name, failing when absent.
func tarFile(t *testing.T, entries []tarEntry, name string) []byte {
	t.Helper()
	for _, e := range entries {
		if e.Name == name {
			return e.Data
		}
	}
	t.Fatalf("archive has no %s", name)
	return nil
}

// writeTar renders entries as a tar.
func writeTar(t *testing.T, entries []tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		typ := e.Type
		if typ == 0 {
			typ = tar.TypeReg
		}
		mode := e.Mode
		if mode == 0 {
			mode = 0o644
		}
		hdr := &tar.Header{Name: e.Name, Typeflag: typ, Mode: mode, Linkname: e.Link, Size: int64(len(e.Data))}
		if typ != tar.TypeReg {
			hdr.Size = 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			if _, err := tw.Write(e.Data); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeFile writes data into the test's temporary directory.
func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readFileT(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// skopeo runs the real skopeo (no signature policy: the test registry is
// plain HTTP) and returns its stdout.
func skopeo(t *testing.T, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("skopeo"); err != nil {
		t.Fatalf("skopeo not found (make deps installs it): %v", err)
	}
	cmd := exec.Command("skopeo", append([]string{"--insecure-policy"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("skopeo %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// dockerManifest is one entry of a docker-archive's manifest.json.
type dockerManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

func decodeJSON(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
}

// blobPath is where an OCI layout keeps the blob dgst.
func blobPath(dgst digest.Digest) string {
	return "blobs/sha256/" + dgst.Encoded()
}

// imageIDs maps repo:tag to the full image ID, as `docker images` lists them.
func (e *imageEnv) imageIDs() map[string]string {
	e.t.Helper()
	out := map[string]string{}
	for _, l := range lines(e.docker("images", "--no-trunc", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}")) {
		name, id, _ := strings.Cut(l, " ")
		out[name] = id
	}
	return out
}

// clearImages removes every image, leaving an empty store.
func (e *imageEnv) clearImages() {
	e.t.Helper()
	if ids := lines(e.docker("images", "-aq")); len(ids) > 0 {
		slices.Sort(ids)
		e.docker(append([]string{"rmi", "-f"}, slices.Compact(ids)...)...)
	}
	if left := lines(e.docker("images", "-aq")); len(left) != 0 {
		e.t.Fatalf("images left after rmi: %v", left)
	}
}
