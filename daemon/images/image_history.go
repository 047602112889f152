package images

import (
	"context"

	"github.com/containerd/errdefs"
	imagetypes "github.com/moby/moby/api/types/image"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ImageHistory is GET /images/{name}/history: the config's history, newest
// first. Entries that created a layer carry that layer's unpacked size; the
// newest entry carries the image ID and tags, older ones "<missing>" (their
// intermediate images do not exist locally). A config without history gets
// one entry per layer, so that the layers still show.
func (s *ImageService) ImageHistory(ctx context.Context, name string, platform *ocispec.Platform) ([]imagetypes.HistoryResponseItem, error) {
	r, err := s.resolve(ctx, name)
	if err != nil {
		return nil, err
	}
	img := r.image()
	cache := s.newUsageCache()
	v, err := s.viewImage(ctx, img.Target, platform, cache)
	if err != nil {
		return nil, s.goneMeanwhile(ctx, name, err)
	}
	if v.best == nil {
		if platform != nil {
			return nil, s.goneMeanwhile(ctx, name, errPlatformNotFound(name, *platform))
		}
		return nil, s.goneMeanwhile(ctx, name, errdefs.ErrNotFound.WithMessage("image with reference "+name+" was found but its content is not available locally"))
	}
	cfg, err := s.fullConfig(ctx, v.best)
	if err != nil {
		return nil, s.goneMeanwhile(ctx, name, err)
	}

	sizes := make([]int64, len(v.best.ChainIDs))
	for i, id := range v.best.ChainIDs {
		if sizes[i], _, err = cache.usage(ctx, id); err != nil {
			return nil, err
		}
	}

	var items []imagetypes.HistoryResponseItem
	if len(cfg.History) == 0 {
		var created int64
		if cfg.Created != nil {
			created = cfg.Created.Unix()
		}
		for _, n := range sizes {
			items = append(items, imagetypes.HistoryResponseItem{Created: created, Size: n, Tags: []string{}})
		}
	}
	layer := 0
	for _, h := range cfg.History {
		item := imagetypes.HistoryResponseItem{CreatedBy: h.CreatedBy, Comment: h.Comment, Tags: []string{}}
		if h.Created != nil {
			item.Created = h.Created.Unix()
		}
		if !h.EmptyLayer && layer < len(sizes) {
			item.Size = sizes[layer]
			layer++
		}
		items = append(items, item)
	}

	// Newest first; only the newest is a local image.
	out := make([]imagetypes.HistoryResponseItem, 0, len(items))
	for i := len(items) - 1; i >= 0; i-- {
		items[i].ID = "<missing>"
		out = append(out, items[i])
	}
	if len(out) > 0 {
		var names []string
		for _, rec := range r.all {
			if !IsDangling(rec) {
				names = append(names, rec.Name)
			}
		}
		out[0].ID = img.Target.Digest.String()
		out[0].Tags, _ = repoTagsAndDigests(names, img.Target.Digest)
	}
	return out, nil
}
