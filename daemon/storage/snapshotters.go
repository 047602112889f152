package storage

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/containerd/containerd/v2/plugins/snapshots/native"
	"github.com/containerd/containerd/v2/plugins/snapshots/overlay"
	"github.com/containerd/containerd/v2/plugins/snapshots/overlay/overlayutils"
	"github.com/containerd/log"
)

// snapshotterMetaFile is the bolt file containerd's snapshotters keep in
// their root; its presence means the snapshotter has been used there.
const snapshotterMetaFile = "metadata.db"

// openSnapshotters opens the effective snapshotter under dir/<name>.
//
// overlayfs is used when requested and overlayutils.Supported passes;
// otherwise native is used, with a warning if overlayfs had been requested.
// The other snapshotter is opened as well when it holds data from an earlier
// run (and can work here), so that the metadata GC can still remove its
// snapshots from disk after a switch; it is not the effective one.
//
// It returns the effective name, the snapshotters by name and their roots.
func openSnapshotters(dir, requested string, logger *log.Entry) (string, map[string]snapshots.Snapshotter, map[string]string, error) {
	overlayRoot := filepath.Join(dir, SnapshotterOverlay)
	nativeRoot := filepath.Join(dir, SnapshotterNative)

	effective := requested
	var overlayErr error
	if requested == SnapshotterOverlay {
		if overlayErr = overlayutils.Supported(overlayRoot); overlayErr != nil {
			logger.WithError(overlayErr).Warnf("WARNING: the %s snapshotter is not supported on %s; "+
				"falling back to the %s snapshotter (slower, uses more disk)", SnapshotterOverlay, overlayRoot, SnapshotterNative)
			effective = SnapshotterNative
		}
	}

	want := []string{effective}
	if effective == SnapshotterOverlay && usedBefore(nativeRoot) {
		want = append(want, SnapshotterNative)
	}
	if effective == SnapshotterNative && usedBefore(overlayRoot) {
		if overlayErr == nil && requested != SnapshotterOverlay {
			overlayErr = overlayutils.Supported(overlayRoot)
		}
		if overlayErr == nil {
			want = append(want, SnapshotterOverlay)
		}
	}

	sns := make(map[string]snapshots.Snapshotter, len(want))
	roots := make(map[string]string, len(want))
	for _, name := range want {
		var (
			sn   snapshots.Snapshotter
			err  error
			root = filepath.Join(dir, name)
		)
		switch name {
		case SnapshotterOverlay:
			// Removal of snapshot directories is deferred to Cleanup,
			// which the metadata GC calls after each collection.
			sn, err = overlay.NewSnapshotter(root, overlay.AsynchronousRemove)
		case SnapshotterNative:
			// It has no Cleanup: what a crash left is removed now.
			if err = removeNativeOrphans(root, logger); err == nil {
				sn, err = native.NewSnapshotter(root)
			}
		}
		if err != nil {
			for _, o := range sns {
				o.Close()
			}
			return "", nil, nil, fmt.Errorf("storage: %s snapshotter: %w", name, err)
		}
		sns[name] = sn
		roots[name] = root
	}
	return effective, sns, roots, nil
}

func usedBefore(root string) bool {
	_, err := os.Stat(filepath.Join(root, snapshotterMetaFile))
	return err == nil
}
