package images

import (
	"context"
	"slices"

	"github.com/containerd/errdefs"
)

// holdExportItems resolves the names of a save and adds the present content
// of every image found to the context's lease, as holdImage does for a
// push: the names are resolved again after leasing, and only images that
// still had them then are saved (one removed in between may have had its
// content collected before the lease covered it). A name gone by then is
// "No such image", before anything is written.
func (s *ImageService) holdExportItems(ctx context.Context, names []string) ([]exportItem, error) {
	for range holdAttempts {
		items, err := s.resolveExportItems(ctx, names)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			if err := s.leaseImageContent(ctx, it.image); err != nil {
				return nil, err
			}
		}
		again, err := s.resolveExportItems(ctx, names)
		if err != nil {
			return nil, err
		}
		if slices.EqualFunc(items, again, sameExportItem) {
			return again, nil
		}
	}
	return nil, errdefs.ErrConflict.WithMessage("the images to save changed while the save started; save again")
}

// resolveExportItems is exportItems for every name, in order.
func (s *ImageService) resolveExportItems(ctx context.Context, names []string) ([]exportItem, error) {
	var items []exportItem
	for _, name := range names {
		found, err := s.exportItems(ctx, name)
		if err != nil {
			return nil, err
		}
		items = append(items, found...)
	}
	return items, nil
}

func sameExportItem(a, b exportItem) bool {
	return a.named == b.named && a.image.Name == b.image.Name && a.image.Target.Digest == b.image.Target.Digest
}
