package images

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/diff"
	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/api/types/backend"
)

// unpackLoaded unpacks the loaded images' manifests of the host's (or the
// requested) platforms into the snapshotter, with containerd's unpacker as a
// pull does, sharing the pull's cap on concurrent unpacks. A layer whose
// content does not match the config's diff ID fails the load.
func (s *ImageService) unpackLoaded(ctx context.Context, loaded []loadedImage, opts backend.LoadOptions, out backend.ProgressWriter) error {
	match := loadMatcher(opts.Platforms)
	done := map[digest.Digest]bool{}
	for _, li := range loaded {
		list, err := s.platformManifests(ctx, li.target)
		if err != nil {
			return err
		}
		for _, pm := range list {
			if !pm.runnable() || !pm.Available || !match.Match(pm.Platform) || done[pm.Desc.Digest] {
				continue
			}
			done[pm.Desc.Digest] = true
			var progress *loadProgress
			if !opts.Quiet {
				ids, err := s.diffIDsByBlob(ctx, pm)
				if err != nil {
					return err
				}
				progress = &loadProgress{out: out, ids: ids, last: map[digest.Digest]sentProgress{}}
			}
			if err := s.unpackManifest(ctx, li, pm, progress); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *ImageService) unpackManifest(ctx context.Context, li loadedImage, pm *platformManifest, progress *loadProgress) error {
	if err := s.unpacks.Acquire(ctx, 1); err != nil {
		return err
	}
	defer s.unpacks.Release(1)
	// The load imported every blob under its lease: only the chain's
	// snapshots need leasing.
	if _, err := s.leaseLayers(ctx, nil, pm.ChainIDs); err != nil {
		return err
	}
	var uopts []client.UnpackOpt
	if progress != nil {
		uopts = append(uopts, client.WithUnpackApplyOpts(diff.WithProgress(progress.layer)))
	}
	img := client.NewImageWithPlatform(s.client, c8dimages.Image{Name: li.shown(), Target: pm.Desc}, platforms.All)
	if err := img.Unpack(ctx, s.snapshotter, uopts...); err != nil {
		if strings.Contains(err.Error(), "wrong diff id") || errdefs.IsDataLoss(err) {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid image archive: a layer of %s (%s) does not match its image config: %v",
				li.shown(), platforms.FormatAll(pm.Platform), err))
		}
		return fmt.Errorf("Error unpacking image %s: %w", li.shown(), err)
	}
	return nil
}

// loadProgress sends dockerd's "Loading layer" lines (ID: the layer's diff
// ID, as the graphdriver showed it) while the applier reads a layer blob: at
// most one per layer every progressInterval, and the last one.
type loadProgress struct {
	out backend.ProgressWriter
	ids map[digest.Digest]digest.Digest // blob → diff ID

	mu   sync.Mutex
	last map[digest.Digest]sentProgress
}

type sentProgress struct {
	at time.Time
	n  int64
}

func (p *loadProgress) layer(desc ocispec.Descriptor, n int64) {
	if n == 0 {
		return
	}
	p.mu.Lock()
	now := time.Now()
	prev := p.last[desc.Digest]
	if n == prev.n || n < desc.Size && now.Sub(prev.at) < progressInterval {
		p.mu.Unlock()
		return
	}
	p.last[desc.Digest] = sentProgress{at: now, n: n}
	p.mu.Unlock()
	id := desc.Digest
	if d, ok := p.ids[desc.Digest]; ok {
		id = d
	}
	_ = p.out.WriteMessage(jsonstream.Message{
		ID:       shortID(id),
		Status:   "Loading layer",
		Progress: &jsonstream.Progress{Current: n, Total: desc.Size},
	})
}
