package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/containerd/log"
	bolt "go.etcd.io/bbolt"
)

// removeNativeOrphans removes, before the native snapshotter at root is
// opened, the snapshot directories its metadata.db has no record of.
//
// The native snapshotter has no Cleanup (unlike overlayfs, see reconcile):
// it copies a new snapshot into a "new-…" directory, renames it under its
// id and then commits the record, and removes one by renaming it to
// "rm-<id>", committing, then deleting the directory. A kill inside either
// leaves a directory no record names, which a later snapshot given that id
// trips over ("file exists") and nothing ever removes. It runs before the
// snapshotter holds its database, so nothing else uses the directory.
func removeNativeOrphans(root string, logger *log.Entry) error {
	dir := filepath.Join(root, "snapshots")
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("storage: native snapshots: %w", err)
	}
	if len(entries) == 0 {
		return nil
	}
	ids, err := nativeSnapshotIDs(filepath.Join(root, snapshotterMetaFile))
	if err != nil {
		return err
	}
	removed := 0
	for _, ent := range entries {
		if ids[ent.Name()] {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, ent.Name())); err != nil {
			return fmt.Errorf("storage: remove native snapshot directory without a record: %w", err)
		}
		removed++
	}
	if removed > 0 {
		logger.WithField("directories", removed).Info("removed native snapshot directories a crash left without a record")
	}
	return nil
}

// nativeSnapshotIDs reads the ids of every snapshot record (active, view
// and committed) from the snapshotter's database, laid out as containerd's
// snapshots/storage writes it: v1/snapshots/<key>/id, a uvarint. A missing
// database has no records.
func nativeSnapshotIDs(path string) (map[string]bool, error) {
	ids := map[string]bool{}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return ids, nil
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: boltOpenTimeout})
	if err != nil {
		return nil, fmt.Errorf("storage: read native snapshot records: %w", err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		v1 := tx.Bucket([]byte("v1"))
		if v1 == nil {
			return nil
		}
		snaps := v1.Bucket([]byte("snapshots"))
		if snaps == nil {
			return nil
		}
		return snaps.ForEachBucket(func(key []byte) error {
			id, n := binary.Uvarint(snaps.Bucket(key).Get([]byte("id")))
			if n <= 0 {
				return fmt.Errorf("snapshot %q has no id", key)
			}
			ids[strconv.FormatUint(id, 10)] = true
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("storage: read native snapshot records: %w", err)
	}
	return ids, nil
}
