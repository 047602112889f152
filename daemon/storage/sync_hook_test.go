package storage

import (
	"context"
	"testing"

	"github.com/containerd/containerd/v2/client"
)

// The applier tells the caller of WithBeforeSync once per applied layer,
// after the untar (the layer's files are in the snapshot) and before the
// layer is committed: an unpack slot released there bounds only the CPU
// part of an apply, and the sync still comes before the commit.
func TestApplierCallsBeforeSyncOncePerLayerAfterUntar(t *testing.T) {
	requireRoot(t)
	for _, snapshotter := range []string{SnapshotterOverlay, SnapshotterNative} {
		t.Run(snapshotter, func(t *testing.T) {
			s := openEmbeddedForTest(t, t.TempDir(), snapshotter)
			if s.Snapshotter() != snapshotter {
				t.Skipf("%s not usable here (effective %s)", snapshotter, s.Snapshotter())
			}
			c := s.Client()
			ti := createTestImage(t, context.Background(), c, "docker.io/library/hook:latest", map[string]string{
				"etc/motd": "synced after this\n",
			})
			chainID := ti.diffID.String()
			calls := 0
			ctx := WithBeforeSync(context.Background(), func() {
				calls++
				if _, err := c.SnapshotService(s.Snapshotter()).Stat(context.Background(), chainID); err == nil {
					t.Error("the layer was committed before the applier's sync")
				}
			})
			if err := client.NewImage(c, ti.image).Unpack(ctx, s.Snapshotter()); err != nil {
				t.Fatalf("unpack: %v", err)
			}
			if calls != 1 {
				t.Fatalf("before-sync hook called %d times for one layer, want 1", calls)
			}
			if got := readSnapshotFile(t, context.Background(), c, s.Snapshotter(), chainID, "etc/motd"); got != "synced after this\n" {
				t.Errorf("etc/motd = %q", got)
			}
		})
	}
}
