package integrationcli

import (
	"bytes"
	"encoding/json"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// ociArchive renders b as an OCI layout tar (blobs, index.json naming it
// name, oci-layout), as skopeo's oci-archive: and buildx write it.
func ociArchive(t *testing.T, b *fixtures.BuiltImage, name string) []tarEntry {
	t.Helper()
	desc := b.Descriptor()
	desc.Annotations = map[string]string{"io.containerd.image.name": name, ocispec.AnnotationRefName: "latest"}
	idx, _ := json.Marshal(ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{desc}})
	entries := []tarEntry{
		{Name: blobPath(b.Digest), Data: b.Manifest},
		{Name: blobPath(b.ConfigDigest), Data: b.Config},
	}
	for _, l := range b.Layers {
		entries = append(entries, tarEntry{Name: blobPath(l.Digest), Data: l.Blob})
	}
	return append(entries,
		tarEntry{Name: "index.json", Data: idx},
		tarEntry{Name: "oci-layout", Data: []byte(`{"imageLayoutVersion":"1.0.0"}`)},
	)
}

// TestLoadRejectsBadArchives: truncated and malformed archives, a manifest
// pointing at a missing blob, a blob that does not hash to its name, an
// entry escaping the archive, a layer that contradicts its config and a
// manifest giving a layer a negative size are refused with a 400-class error, and nothing is stored.
func TestLoadRejectsBadArchives(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	e.pushPull("bad/keep", "1", smallImage(800))
	b, err := threeLayers(810).Build()
	if err != nil {
		t.Fatal(err)
	}
	good := ociArchive(t, b, "docker.io/library/bad:1")
	layer := blobPath(b.Layers[1].Digest)
	without := func(name string) []tarEntry {
		var out []tarEntry
		for _, en := range good {
			if en.Name != name {
				out = append(out, en)
			}
		}
		return out
	}
	corrupt := func(name string) []tarEntry {
		out := append([]tarEntry{}, good...)
		for i, en := range out {
			if en.Name == name {
				data := append([]byte{}, en.Data...)
				data[len(data)/2] ^= 0xff
				out[i].Data = data
			}
		}
		return out
	}
	whole := writeTar(t, good)
	// The same image, its manifest giving a layer a negative size.
	var m ocispec.Manifest
	if err := json.Unmarshal(b.Manifest, &m); err != nil {
		t.Fatal(err)
	}
	m.Layers[1].Size = -5
	negSize := *b
	negSize.Manifest, _ = json.Marshal(m)
	negSize.Digest = digest.FromBytes(negSize.Manifest)
	oldLayout, _ := oldLayoutArchive(t, smallImage(811), "bad", "old")
	oldEntries := readTar(t, oldLayout)
	for i, en := range oldEntries {
		if strings.HasSuffix(en.Name, "/layer.tar") {
			data := append([]byte{}, en.Data...)
			data[len(data)-2000] ^= 0xff // inside the file content
			oldEntries[i].Data = data
		}
	}

	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"truncated", whole[:len(whole)/2], "invalid image archive: truncated: "},
		{"truncated gzip", fixtures.GzipBytes(t, whole)[:len(whole)/3], "invalid image archive"},
		{"not a tar", []byte(strings.Repeat("garbage!", 200)), "invalid image archive"},
		{"empty", nil, "invalid image archive"},
		{"missing blob", writeTar(t, without(layer)), "points at blob " + b.Layers[1].Digest.String() + ", which is not in the archive"},
		{"missing config", writeTar(t, without(blobPath(b.ConfigDigest))), "which is not in the archive"},
		{"bad digest", writeTar(t, corrupt(layer)), layer + " does not match its digest"},
		{"path traversal", writeTar(t, append(append([]tarEntry{}, good...), tarEntry{Name: "../../etc/evil", Data: []byte("x")})), `entry "../../etc/evil" points outside the archive`},
		{"absolute path", writeTar(t, append([]tarEntry{{Name: "/etc/evil", Data: []byte("x")}}, good...)), `entry "/etc/evil" points outside the archive`},
		{"layer contradicts config", writeTar(t, oldEntries), "does not match its image config"},
		{"negative layer size", writeTar(t, ociArchive(t, &negSize, "docker.io/library/bad:1")), "invalid image archive: invalid image manifest " + negSize.Digest.String() + ": layer 1: blob " + b.Layers[1].Digest.String() + " has a negative size (-5)"},
		{"manifest.json of 21 MiB", writeTar(t, []tarEntry{{Name: "manifest.json", Data: append([]byte(`[{"Config":"`), bytes.Repeat([]byte("a"), 21<<20)...)}}), `manifest.json": unexpected EOF: the JSON ends early or is larger than 20 MiB`},
	}
	images := e.imageIDs()
	blobs := e.contentBlobs()
	snapshots := e.snapshotUsage()
	for _, tc := range cases {
		res := e.cli.Run("load", "-i", writeFile(t, "bad.tar", tc.data))
		if res.ExitCode == 0 || !strings.Contains(res.Stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %q, want an error with %q", tc.name, res.ExitCode, res.Stderr, tc.want)
		}
		if strings.Count(res.Stderr, "truncated") > 1 {
			t.Errorf("%s: %q says truncated twice", tc.name, res.Stderr)
		}
		if !strings.Contains(res.Stderr, "Error response from daemon") && tc.name != "layer contradicts config" {
			t.Errorf("%s: %q is not an HTTP error", tc.name, res.Stderr)
		}
		if got := e.imageIDs(); !maps.Equal(got, images) {
			t.Errorf("%s: images %v after the failed load, want %v", tc.name, got, images)
		}
		e.waitContent(blobs, len(snapshots), tc.name)
	}
	// The good archive loads after all that.
	if out := e.docker("load", "-i", writeFile(t, "good.tar", whole)); !strings.Contains(out, "Loaded image: bad:1") {
		t.Errorf("good archive: %q", out)
	}
}

// waitContent waits for garbage collection to bring the content store back
// to want and the snapshot count to snapshots.
func (e *imageEnv) waitContent(want map[digest.Digest]int64, snapshots int, what string) {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := e.contentBlobs()
		n := len(e.snapshotUsage())
		if maps.Equal(got, want) && n == snapshots {
			return
		}
		if time.Now().After(deadline) {
			e.t.Errorf("%s: content store has %d blobs and %d snapshots, want %d and %d", what, len(got), n, len(want), snapshots)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}
