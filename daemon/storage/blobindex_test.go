package storage

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/plugins/content/local"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// The content sweep's walk lists exactly the blobs on disk: what was there
// at the first walk, plus what the store committed since, minus what it
// deleted, without reading the directory again; a file slipped into the
// directory behind the store's back is only found by the next start's walk.
func TestBlobIndexWalksWhatTheStoreHolds(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	raw, err := local.NewStore(root)
	if err != nil {
		t.Fatal(err)
	}
	put := func(cs content.Store, s string) digest.Digest {
		t.Helper()
		data := []byte(s)
		desc := ocispec.Descriptor{Digest: digest.FromBytes(data), Size: int64(len(data))}
		if err := content.WriteBlob(ctx, cs, "ref-"+s, bytes.NewReader(data), desc); err != nil {
			t.Fatalf("write %q: %v", s, err)
		}
		return desc.Digest
	}
	stray := func(s string) digest.Digest {
		t.Helper()
		d := digest.FromString(s)
		if err := os.WriteFile(filepath.Join(root, "blobs", "sha256", d.Encoded()), []byte(s), 0o444); err != nil {
			t.Fatal(err)
		}
		return d
	}
	walk := func(cs content.Store) []digest.Digest {
		t.Helper()
		var out []digest.Digest
		if err := cs.Walk(ctx, func(info content.Info) error {
			out = append(out, info.Digest)
			return nil
		}); err != nil {
			t.Fatalf("walk: %v", err)
		}
		slices.Sort(out)
		return out
	}
	sorted := func(ds ...digest.Digest) []digest.Digest { slices.Sort(ds); return ds }

	before := put(raw, "written before the index")
	early := stray("a file the first walk finds")
	x := newBlobIndex(raw, root)
	if got, want := walk(x), sorted(before, early); !slices.Equal(got, want) {
		t.Fatalf("first walk %v, want %v", got, want)
	}

	added := put(x, "committed through the index")
	again := put(x, "written before the index") // already there
	late := stray("a file slipped in after the first walk")
	if err := x.Delete(ctx, early); err != nil {
		t.Fatal(err)
	}
	if got, want := walk(x), sorted(again, added); !slices.Equal(got, want) {
		t.Errorf("walk after commits and a delete %v, want %v", got, want)
	}
	if got, want := walk(newBlobIndex(raw, root)), sorted(before, added, late); !slices.Equal(got, want) {
		t.Errorf("walk of a new index (a restart) %v, want %v", got, want)
	}
}
