package images

import (
	"context"
	"strings"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/opencontainers/go-digest"
)

// sameLabelsStore is the content store as a pull labels blobs through it:
// an Update that would set labels the blob has already writes nothing. A
// re-pull of a present image finds every label it sets (the manifest's
// references to its children, the config's to its snapshot) in place, and
// each write is a bbolt commit.
type sameLabelsStore struct {
	content.Store
}

func (s sameLabelsStore) Update(ctx context.Context, info content.Info, fieldpaths ...string) (content.Info, error) {
	if len(fieldpaths) > 0 {
		if cur, err := s.Store.Info(ctx, info.Digest); err == nil && hasLabels(cur, info, fieldpaths) {
			return cur, nil
		}
	}
	return s.Store.Update(ctx, info, fieldpaths...)
}

// hasLabels reports whether cur has, for every fieldpath (all of the form
// labels.KEY), the value want has (or lacks the key as want does).
func hasLabels(cur, want content.Info, fieldpaths []string) bool {
	for _, f := range fieldpaths {
		key, ok := strings.CutPrefix(f, "labels.")
		if !ok {
			return false
		}
		v, has := want.Labels[key]
		cv, chas := cur.Labels[key]
		if has != chas || v != cv {
			return false
		}
	}
	return true
}

// chainUnpacked reports whether the snapshot of the whole layer chain
// exists (then so do its parents).
func (s *ImageService) chainUnpacked(ctx context.Context, chainIDs []digest.Digest) bool {
	if len(chainIDs) == 0 {
		return false
	}
	_, err := s.snapshotService().Stat(ctx, chainIDs[len(chainIDs)-1].String())
	return err == nil
}

// labelUnpacked gives the config the label by which garbage collection
// keeps the image's snapshot, as containerd's unpacker does once it has
// unpacked the layers.
func labelUnpacked(ctx context.Context, store content.Store, snapshotter string, config digest.Digest, chainIDs []digest.Digest) error {
	key := "containerd.io/gc.ref.snapshot." + snapshotter
	info := content.Info{Digest: config, Labels: map[string]string{key: chainIDs[len(chainIDs)-1].String()}}
	_, err := store.Update(ctx, info, "labels."+key)
	return err
}
