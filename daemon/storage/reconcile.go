package storage

import (
	"bytes"
	"context"
	"fmt"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/metadata"
	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// reconcileKey names the throwaway blob and snapshot of reconcile.
const reconcileKey = "berth-reconcile"

// reconcile removes what a crash left on disk without a metadata record,
// before anything else runs.
//
// The metadata database removes a blob or a snapshot in two steps: it
// commits the removal of the record, then deletes the blob file, the
// snapshotter's record and the snapshot's directory (overlayfs: on
// Cleanup). It only does the second step for the stores its collections
// removed something from while the process runs, so a kill between the two
// leaves files no metadata refers to, and no later collection looks at them:
// a `docker rmi` killed at the wrong moment leaked its layers for good.
//
// The snapshotter itself commits a new snapshot's directory and record in
// one step, renaming the directory under its id before committing the id:
// a kill in between leaves a directory named by the id the next snapshot
// gets, and that creation then fails ("file exists") until someone removes
// it. So first each snapshotter drops the directories it has no record of
// (native, which has no Cleanup, before it is opened: native_cleanup.go).
//
// Then reconcile makes the next collection sweep every store: it writes one tiny
// blob and prepares one empty snapshot in each snapshotter, neither
// referenced nor leased, and collects. Removing them marks the content
// store and each snapshotter dirty, so containerd's own sweep walks them
// and removes whatever has no record.
func reconcile(ctx context.Context, mdb *metadata.DB, raw map[string]snapshots.Snapshotter, g *gcScheduler) error {
	for name, sn := range raw {
		if c, ok := sn.(snapshots.Cleaner); ok {
			// A new snapshotter has no bucket yet: nothing to clean.
			if err := c.Cleanup(ctx); err != nil && !errdefs.IsNotFound(err) {
				return fmt.Errorf("storage: clean up %s snapshots: %w", name, err)
			}
		}
	}
	data := []byte("berth: reconcile the stores after a restart\n")
	desc := ocispec.Descriptor{MediaType: "application/octet-stream", Digest: digest.FromBytes(data), Size: int64(len(data))}
	if err := content.WriteBlob(ctx, mdb.ContentStore(), reconcileKey, bytes.NewReader(data), desc); err != nil {
		return fmt.Errorf("storage: reconcile content: %w", err)
	}
	for name, sn := range mdb.Snapshotters() {
		if _, err := sn.Prepare(ctx, reconcileKey, ""); err != nil && !errdefs.IsAlreadyExists(err) {
			return fmt.Errorf("storage: reconcile %s snapshots: %w", name, err)
		}
	}
	return g.collect(ctx)
}
