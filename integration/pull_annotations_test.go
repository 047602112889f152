package integration

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/containerd/containerd/v2/core/snapshots"

	"github.com/berth-dev/berth/daemon/storage"
	"github.com/berth-dev/berth/testutil/berthd"
	"github.com/berth-dev/berth/testutil/dockercli"
	"github.com/berth-dev/berth/testutil/fixtures"
	"github.com/berth-dev/berth/testutil/registry"
)

// TestPullAnnotatesLayersForRemoteSnapshotters checks that layer snapshots
// carry the labels remote snapshotters (stargz, nydus) read, as dockerd's
// pull adds them: the image reference, the layer digest and the manifest.
func TestPullAnnotatesLayersForRemoteSnapshotters(t *testing.T) {
	reg := registry.Start(t)
	d := berthd.Start(t)
	built, err := fixtures.Push(t.Context(), reg.Host(), "team/annotated", "v1", fixtures.Image{
		Layers: []fixtures.Layer{{Seed: 1}, {Seed: 2}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ref := reg.Host() + "/team/annotated:v1"
	dockercli.New(t, d.Host()).MustRun("pull", "-q", ref)
	d.Stop()

	ctx := context.Background()
	st, err := storage.Open(ctx, storage.Options{Root: filepath.Join(d.DataRoot(), "containerd"), Namespace: "moby"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	byLayer := map[string]map[string]string{}
	err = st.Client().SnapshotService(st.Snapshotter()).Walk(ctx, func(ctx context.Context, info snapshots.Info) error {
		byLayer[info.Labels["containerd.io/snapshot/cri.layer-digest"]] = info.Labels
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range built.Layers {
		labels, ok := byLayer[l.Digest.String()]
		if !ok {
			t.Errorf("no snapshot labelled with layer %s: %v", l.Digest, byLayer)
			continue
		}
		if labels["containerd.io/snapshot/cri.image-ref"] != ref {
			t.Errorf("image-ref label %q, want %q", labels["containerd.io/snapshot/cri.image-ref"], ref)
		}
		if labels["containerd.io/snapshot/cri.manifest-digest"] != built.Digest.String() {
			t.Errorf("manifest-digest label %q, want %s", labels["containerd.io/snapshot/cri.manifest-digest"], built.Digest)
		}
	}
}
