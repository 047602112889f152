package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/metadata"
	"github.com/containerd/containerd/v2/core/metadata/boltutil"
	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/containerd/v2/plugins/content/local"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// The seeder writes images straight into a stopped berthd's data root, as
// a pull would have recorded them (blobs with their distribution-source and
// gc.ref labels, one record per name), without a registry: the blob files
// go into the content store's directory unsynced (one syncfs at the end)
// and the metadata in a few large bbolt transactions, through containerd's
// own metadata stores (which take the transaction from the context).

// seedSource is the registry host the seeded images claim to come from.
const seedSource = "registry.bench.invalid"

// seedImage is one image to seed: its blobs and its record names.
type seedImage struct {
	built *fixtures.BuiltImage
	names []string
}

// seedPlan describes n images, the first tagged of them with tags names
// each (repository bench/tagged<i>), the rest one name each (bench/img<i>).
func seedPlan(n, tagged, tags int) ([]seedImage, error) {
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]seedImage, n)
	for i := range n {
		img := fixtures.Image{
			Labels:  map[string]string{"bench.index": strconv.Itoa(i)},
			Created: base.Add(time.Duration(i) * time.Second),
			Layers: []fixtures.Layer{{Files: []fixtures.File{
				{Path: "etc/bench-image", Content: []byte(fmt.Sprintf("image %d\n", i))},
			}}},
		}
		built, err := img.Build()
		if err != nil {
			return nil, err
		}
		var names []string
		if i < tagged {
			for t := range tags {
				names = append(names, fmt.Sprintf("%s/bench/tagged%d:t%03d", seedSource, i, t))
			}
		} else {
			names = []string{fmt.Sprintf("%s/bench/img%d:latest", seedSource, i)}
		}
		out[i] = seedImage{built: built, names: names}
	}
	return out, nil
}

// seedRoot writes plan into the embedded store under root (berthd's
// <data-root>/containerd, initialised by a berthd that has stopped), in
// namespace ns, batch images per bbolt transaction.
func seedRoot(ctx context.Context, root, ns string, plan []seedImage, batch int) error {
	blobDir := filepath.Join(root, "content", "blobs", "sha256")
	if err := os.MkdirAll(blobDir, 0o700); err != nil {
		return err
	}
	for _, si := range plan {
		for _, blob := range seedBlobs(si) {
			if err := os.WriteFile(filepath.Join(blobDir, blob.desc.Digest.Encoded()), blob.data, 0o444); err != nil {
				return err
			}
		}
	}
	if err := syncDir(blobDir); err != nil {
		return err
	}

	o := *bolt.DefaultOptions
	o.NoFreelistSync = true
	o.Timeout = time.Second
	bdb, err := bolt.Open(filepath.Join(root, "meta.db"), 0o600, &o)
	if err != nil {
		return err
	}
	defer bdb.Close()
	cs, err := local.NewStore(filepath.Join(root, "content"))
	if err != nil {
		return err
	}
	mdb := metadata.NewDB(bdb, cs, map[string]snapshots.Snapshotter{})
	if err := mdb.Init(ctx); err != nil {
		return err
	}
	mcs, imgs := mdb.ContentStore(), metadata.NewImageStore(mdb)
	ctx = namespaces.WithNamespace(ctx, ns)
	for start := 0; start < len(plan); start += batch {
		end := min(start+batch, len(plan))
		err := bdb.Update(func(tx *bolt.Tx) error {
			tctx := boltutil.WithTransaction(ctx, tx)
			for _, si := range plan[start:end] {
				if err := seedOne(tctx, mcs, imgs, si); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// seedBlob is one blob with the labels a pull gives it.
type seedBlob struct {
	desc   ocispec.Descriptor
	data   []byte
	labels map[string]string
}

// seedBlobs are the blobs of si: manifest (with its gc.ref labels),
// config and layers, each labelled with its distribution source.
func seedBlobs(si seedImage) []seedBlob {
	b := si.built
	repo := strings.TrimPrefix(si.names[0], seedSource+"/")
	repo = repo[:strings.LastIndex(repo, ":")]
	src := map[string]string{"containerd.io/distribution.source." + seedSource: repo}
	mlabels := map[string]string{"containerd.io/gc.ref.content.config": b.ConfigDigest.String()}
	for k, v := range src {
		mlabels[k] = v
	}
	out := []seedBlob{
		{desc: b.Descriptor(), data: b.Manifest, labels: mlabels},
		{desc: ocispec.Descriptor{MediaType: b.ConfigMediaType, Digest: b.ConfigDigest, Size: int64(len(b.Config))}, data: b.Config, labels: src},
	}
	for i, l := range b.Layers {
		mlabels["containerd.io/gc.ref.content.l."+strconv.Itoa(i)] = l.Digest.String()
		out = append(out, seedBlob{desc: l.Descriptor(), data: l.Blob, labels: src})
	}
	return out
}

// seedOne registers si's blobs (already in the content directory) and
// creates its records, in the transaction ctx carries.
func seedOne(ctx context.Context, cs content.Store, imgs c8dimages.Store, si seedImage) error {
	for _, blob := range seedBlobs(si) {
		w, err := cs.Writer(ctx, content.WithRef("seed-"+blob.desc.Digest.String()), content.WithDescriptor(blob.desc))
		if err != nil {
			return fmt.Errorf("seed %s: %w", blob.desc.Digest, err)
		}
		err = w.Commit(ctx, blob.desc.Size, blob.desc.Digest, content.WithLabels(blob.labels))
		w.Close()
		if err != nil {
			return fmt.Errorf("seed %s: %w", blob.desc.Digest, err)
		}
	}
	now := time.Now()
	for _, name := range si.names {
		if _, err := imgs.Create(ctx, c8dimages.Image{
			Name: name, Target: si.built.Descriptor(), CreatedAt: now, UpdatedAt: now,
		}); err != nil {
			return fmt.Errorf("seed %s: %w", name, err)
		}
	}
	return nil
}

// syncDir flushes the filesystem holding dir (one syncfs for every blob).
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}

// seedDigests are the target digests of plan, in order.
func seedDigests(plan []seedImage) []digest.Digest {
	out := make([]digest.Digest, len(plan))
	for i, si := range plan {
		out[i] = si.built.Digest
	}
	return out
}
