package storage

import (
	"fmt"
	"os"

	"github.com/containerd/containerd/v2/core/mount"
	"github.com/containerd/log"
)

// Modes of the directories berthd keeps private, as dockerd and containerd
// do: dockerd's /var/lib/docker is 0710 root:root, containerd's root 0700.
const (
	// DataRootMode is the mode of berthd's --data-root.
	DataRootMode os.FileMode = 0o710
	// rootMode is the mode of the embedded stores' root (<data-root>/containerd).
	rootMode os.FileMode = 0o700
	// metaDBMode is the mode of meta.db.
	metaDBMode os.FileMode = 0o600
	// tempMountsDir holds the temporary mounts of unpacking and diffing,
	// under Options.Root, as containerd keeps them under its root.
	tempMountsDir = "tmpmounts"
)

// MakePrivateDir creates dir (and its parents) if needed and makes it owned
// by the daemon's user with mode, fixing the owner and mode of a directory
// that already exists (a data root made by an older berthd, or by hand).
func MakePrivateDir(dir string, mode os.FileMode) error {
	if err := os.MkdirAll(dir, mode); err != nil {
		return err
	}
	if err := os.Lchown(dir, os.Geteuid(), os.Getegid()); err != nil {
		return err
	}
	return os.Chmod(dir, mode)
}

// setupTempMounts points containerd's temporary mounts (made while
// unpacking and diffing) at dir, under the storage root, and removes the
// ones a crashed berthd left there. Without it they go to $TMPDIR, outside
// the data root, where nothing ever cleans them up.
//
// The location is containerd's process-wide setting: one embedded storage
// per process, as berthd has.
func setupTempMounts(dir string, logger *log.Entry) error {
	if err := mount.SetTempMountLocation(dir); err != nil {
		return fmt.Errorf("storage: temporary mount location %s: %w", dir, err)
	}
	if err := os.Chmod(dir, rootMode); err != nil {
		return fmt.Errorf("storage: temporary mount location %s: %w", dir, err)
	}
	warnings, err := mount.CleanupTempMounts(0)
	if err != nil {
		return fmt.Errorf("storage: clean up temporary mounts under %s: %w", dir, err)
	}
	for _, w := range warnings {
		logger.WithError(w).Warn("failed to clean up a temporary mount left by a previous run")
	}
	return nil
}
