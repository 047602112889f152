package integrationcli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/containerd/platforms"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// The store invariants the crash loops check after every restart: what is
// listed is whole, what was being removed is whole or gone, and once
// everything is removed nothing stays on disk.

// listedIDs is every image ID `docker images -a` lists, once each.
func (e *imageEnv) listedIDs() []string {
	e.t.Helper()
	ids := lines(e.docker("images", "-aq", "--no-trunc"))
	slices.Sort(ids)
	return slices.Compact(ids)
}

// present reports whether `docker image inspect name` finds name; a failure
// other than "No such image" fails the test.
func (e *imageEnv) present(name string) bool {
	e.t.Helper()
	res := e.cli.Run("image", "inspect", name)
	if res.ExitCode == 0 {
		return true
	}
	if !strings.Contains(res.Stderr, "No such image") {
		e.t.Fatalf("docker image inspect %s: exit %d: %s", name, res.ExitCode, res.Stderr)
	}
	return false
}

// checkWhole checks that the image id is complete: inspect works, `docker
// save` of it succeeds, every blob of its manifest tree is in the archive
// and hashes to its name (of an index: of the platforms present, at least
// one), and skopeo reads the archive. It returns the
// number of blobs checked.
func (e *imageEnv) checkWhole(id string) int {
	e.t.Helper()
	e.docker("image", "inspect", id)
	file := filepath.Join(e.t.TempDir(), "save.tar")
	if res := e.cli.Run("save", "-o", file, id); res.ExitCode != 0 {
		e.t.Fatalf("image %s is listed but docker save fails: %s", id, res.Stderr)
	}
	entries := readTar(e.t, readFileT(e.t, file))
	blobs := map[string][]byte{}
	for _, ent := range entries {
		blobs[ent.Name] = ent.Data
	}
	var idx ocispec.Index
	decodeJSON(e.t, tarFile(e.t, entries, "index.json"), &idx)
	n := 0
	var pulled []ocispec.Platform // of the index's manifests, those present
	var walk func(ocispec.Descriptor)
	walk = func(d ocispec.Descriptor) {
		data, ok := blobs[blobPath(d.Digest)]
		if !ok {
			e.t.Errorf("image %s: saved archive lacks %s (%s)", id, d.Digest, d.MediaType)
			return
		}
		if got := digest.FromBytes(data); got != d.Digest || int64(len(data)) != d.Size {
			e.t.Errorf("image %s: blob %s is %s, %d bytes (want %d)", id, d.Digest, got, len(data), d.Size)
			return
		}
		n++
		switch d.MediaType {
		case ocispec.MediaTypeImageIndex, "application/vnd.docker.distribution.manifest.list.v2+json":
			// The platforms not pulled are absent, or only their manifest
			// is there (containerd's exporter, as dockerd's, writes no
			// blob of a manifest not all present); the others are whole.
			var sub ocispec.Index
			decodeJSON(e.t, data, &sub)
			present := 0
			for _, m := range sub.Manifests {
				mdata, ok := blobs[blobPath(m.Digest)]
				if !ok {
					continue
				}
				if kids, has := manifestBlobs(e, mdata, m.MediaType, blobs); has == 0 && len(kids) > 0 {
					continue
				}
				present++
				if m.Platform != nil && m.Platform.OS != "unknown" {
					pulled = append(pulled, *m.Platform)
				}
				walk(m)
			}
			if present == 0 {
				e.t.Errorf("image %s: saved archive has none of the manifests of index %s whole", id, d.Digest)
			}
		case ocispec.MediaTypeImageManifest, "application/vnd.docker.distribution.manifest.v2+json":
			var m ocispec.Manifest
			decodeJSON(e.t, data, &m)
			walk(m.Config)
			for _, l := range m.Layers {
				walk(l)
			}
		}
	}
	for _, m := range idx.Manifests {
		walk(m)
	}
	// skopeo reads the host's platform of an index, or one that was pulled.
	args := []string{"inspect", "oci-archive:" + file}
	if len(pulled) > 0 && !slices.ContainsFunc(pulled, platforms.Default().Match) {
		args = append([]string{"--override-os", pulled[0].OS, "--override-arch", pulled[0].Architecture}, args...)
	}
	var info struct{ Layers []string }
	if err := json.Unmarshal([]byte(skopeo(e.t, args...)), &info); err != nil || len(info.Layers) == 0 {
		e.t.Errorf("image %s: skopeo inspect of its saved archive: %v, %d layers", id, err, len(info.Layers))
	}
	return n
}

// leftovers counts what berthd's data root holds: content blobs, unpacked
// snapshots, unfinished downloads and mounts referring to the daemon's
// directory.
type leftovers struct{ blobs, snapshots, ingests, mounts int }

func (l leftovers) zero() bool { return l == leftovers{} }

func (e *imageEnv) leftovers() leftovers {
	e.t.Helper()
	snaps, err := os.ReadDir(filepath.Join(e.d.DataRoot(), "containerd", "snapshots", "overlayfs", "snapshots"))
	if err != nil && !os.IsNotExist(err) {
		e.t.Fatal(err)
	}
	return leftovers{
		blobs:     len(e.contentBlobs()),
		snapshots: len(snaps),
		ingests:   len(e.ingests()),
		mounts:    len(mountsOf(e.t, e.d.Dir())),
	}
}

// waitEmpty waits (20 s at most) for an image-less store to have
// collected everything and returns what is left then.
func (e *imageEnv) waitEmpty() leftovers {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		l := e.leftovers()
		if l.zero() || time.Now().After(deadline) {
			return l
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// manifestBlobs returns the config and layers of a manifest (none for other
// media types) and how many of them blobs holds.
func manifestBlobs(e *imageEnv, data []byte, mediaType string, blobs map[string][]byte) ([]ocispec.Descriptor, int) {
	if mediaType != ocispec.MediaTypeImageManifest && mediaType != "application/vnd.docker.distribution.manifest.v2+json" {
		return nil, 0
	}
	var m ocispec.Manifest
	decodeJSON(e.t, data, &m)
	kids := append([]ocispec.Descriptor{m.Config}, m.Layers...)
	has := 0
	for _, k := range kids {
		if _, ok := blobs[blobPath(k.Digest)]; ok {
			has++
		}
	}
	return kids, has
}
