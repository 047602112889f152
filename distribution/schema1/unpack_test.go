package schema1

import (
	"context"
	"os"
	"slices"
	"testing"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"

	"github.com/berth-dev/berth/daemon/storage"
	"github.com/berth-dev/berth/testutil/fixtures"
	"github.com/berth-dev/berth/testutil/registry"
)

// TestConvertedImageUnpacks converts a schema 1 image into the embedded
// containerd stack and unpacks it: containerd's applier recomputes every
// diff ID while applying, so this proves the converted config agrees with
// the layers, and the snapshot chain is dockerd's chain ID. After the lease
// ends, GC keeps everything the image record reaches.
func TestConvertedImageUnpacks(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the embedded stack mounts snapshots")
	}
	ctx := context.Background()
	reg := registry.Start(t)
	built, err := fixtures.PushSchema1(ctx, reg.Host(), "legacy/unpack", "v1", fixtures.Schema1Image{
		Layers: []fixtures.Layer{
			{Files: []fixtures.File{{Path: "etc/one", Content: []byte("1\n")}}},
			{Files: []fixtures.File{{Path: "etc/two", Content: []byte("2\n")}}},
		},
		Cmd: []string{"cat", "/etc/two"},
	}, reg)
	if err != nil {
		t.Fatal(err)
	}

	st, err := storage.Open(ctx, storage.Options{Root: t.TempDir(), Snapshotter: storage.SnapshotterNative})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := st.Client()

	lctx, done, err := c.WithLease(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ref := reg.Host() + "/legacy/unpack:v1"
	resolver := testResolver("")
	name, desc, err := resolver.Resolve(lctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	m, err := FetchManifest(lctx, fetcherFor(t, resolver, name), desc)
	if err != nil {
		t.Fatal(err)
	}
	target, err := (&Converter{Store: c.ContentStore(), Fetcher: fetcherFor(t, resolver, name)}).Convert(lctx, m)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := c.ImageService().Create(lctx, images.Image{
		Name:   ref,
		Target: target,
		Labels: map[string]string{AnnotationSchema1Digest: m.Digest().String()},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := done(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.CollectGarbage(ctx); err != nil {
		t.Fatal(err)
	}

	img := client.NewImage(c, rec)
	if err := img.Unpack(ctx, st.Snapshotter()); err != nil {
		t.Fatalf("unpack: %v", err)
	}
	diffIDs, err := img.RootFS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []digest.Digest{built.Layers[0].DiffID, built.Layers[1].DiffID}
	if !slices.Equal(diffIDs, want) {
		t.Fatalf("diff IDs %v, want %v", diffIDs, want)
	}
	chainID := identity.ChainID(diffIDs).String()
	if _, err := c.SnapshotService(st.Snapshotter()).Stat(ctx, chainID); err != nil {
		t.Fatalf("snapshot %s: %v", chainID, err)
	}
	spec, err := img.Spec(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(spec.Config.Cmd, []string{"cat", "/etc/two"}) || len(spec.History) != 3 {
		t.Fatalf("config %+v", spec)
	}
}
