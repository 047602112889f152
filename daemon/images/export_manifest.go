package images

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"io"
	"path"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/image"
)

// A save's manifest.json (the file docker load, and every reader of Docker
// archives, starts from) names one manifest per image: the one
// bestManifest describes the image by, present and the host's platform
// first. containerd's exporter picks those manifests with one platform
// ranking for the whole save, so an index whose host-platform manifest is
// absent got the platform another image of the save has ("unable to create
// manifests file: … not found"). berth writes the file from its own
// choice per image instead, into the exporter's tar as it streams.

// dockerManifest is one entry of manifest.json.
type dockerManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// dockerManifests are the entries of a save, one per manifest (images
// sharing it share the entry, as with containerd), in the order of the
// images.
type dockerManifests struct {
	order []digest.Digest
	by    map[digest.Digest]*dockerManifest
}

// add lists pm (nil or not whole: nothing, its blobs are not in the
// archive) under name ("" for an image saved without its name).
func (dm *dockerManifests) add(ctx context.Context, store content.Provider, pm *platformManifest, name string) error {
	if pm == nil || !pm.Available || !pm.runnable() {
		return nil
	}
	e, ok := dm.by[pm.Desc.Digest]
	if !ok {
		m, err := image.ReadManifest(ctx, store, pm.Desc)
		if err != nil {
			return err
		}
		e = &dockerManifest{Config: blobPath(m.Config.Digest), RepoTags: []string{}}
		for _, l := range m.Layers {
			e.Layers = append(e.Layers, blobPath(l.Digest))
		}
		if dm.by == nil {
			dm.by = map[digest.Digest]*dockerManifest{}
		}
		dm.by[pm.Desc.Digest] = e
		dm.order = append(dm.order, pm.Desc.Digest)
	}
	if name != "" {
		ref, err := reference.ParseNormalizedNamed(name)
		if err != nil {
			return err
		}
		e.RepoTags = append(e.RepoTags, reference.FamiliarString(reference.TagNameOnly(ref)))
	}
	return nil
}

// blobPath is where a blob is in an OCI layout.
func blobPath(d digest.Digest) string {
	return path.Join(ocispec.ImageBlobsDir, d.Algorithm().String(), d.Encoded())
}

// json is manifest.json's content; nil when no image of the save has a
// whole manifest (the archive then has no manifest.json, as containerd's).
func (dm *dockerManifests) json() ([]byte, error) {
	if len(dm.order) == 0 {
		return nil, nil
	}
	list := make([]*dockerManifest, 0, len(dm.order))
	for _, d := range dm.order {
		list = append(list, dm.by[d])
	}
	return json.Marshal(list)
}

// insertManifestJSON returns the writer archive.Export writes its tar to
// (made without manifest.json) and a wait: the tar is copied to out with
// manifest.json added where it sorts, as the exporter places its files.
// Once Export has returned, finish(its error) ends the copy and returns
// the first error of either.
func insertManifestJSON(out io.Writer, data []byte) (w io.Writer, finish func(exportErr error) error) {
	if data == nil {
		return out, func(exportErr error) error { return exportErr }
	}
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := copyWithManifestJSON(out, pr, data)
		// Drain what follows the archive (its end blocks), or fail the
		// export's writes when the copy failed.
		if err == nil {
			_, err = io.Copy(io.Discard, pr)
		}
		pr.CloseWithError(errOr(err, io.ErrClosedPipe))
		done <- err
	}()
	return pw, func(exportErr error) error {
		pw.CloseWithError(exportErr)
		copyErr := <-done
		if exportErr != nil {
			return exportErr
		}
		return copyErr
	}
}

func copyWithManifestJSON(out io.Writer, in io.Reader, data []byte) error {
	tr := tar.NewReader(in)
	tw := tar.NewWriter(out)
	inserted := false
	insert := func() error {
		inserted = true
		if err := tw.WriteHeader(&tar.Header{Name: "manifest.json", Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if !inserted && hdr.Name > "manifest.json" {
			if err := insert(); err != nil {
				return err
			}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return err
		}
	}
	if !inserted {
		if err := insert(); err != nil {
			return err
		}
	}
	return tw.Close()
}

func errOr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}
