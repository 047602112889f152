package images

import (
	"context"
	"sort"
	"strconv"

	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	"github.com/moby/moby/api/types/events"
	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/opencontainers/go-digest"

	"github.com/berth-dev/berth/api/types/filters"
)

// pruneFilters are the filters POST /images/prune accepts.
func pruneFilters() []string {
	return []string{"dangling", "label", "label!", "until"}
}

// errPruneRunning answers a prune while another runs, as dockerd does.
func errPruneRunning() error {
	return errdefs.ErrConflict.WithMessage("a prune operation is already running")
}

// ImagesPrune is POST /images/prune: it deletes the dangling images (every
// image with dangling=false, `docker image prune -a`) that pass the label
// and until filters, then collects garbage and reports what actually went:
// each removed name, each blob no longer present, and as SpaceReclaimed the
// size of those blobs plus the usage of the snapshots that went.
//
// Unlike dockerd, it never deletes leases: a pull in flight keeps its
// content, and its image appears when it completes.
func (s *ImageService) ImagesPrune(ctx context.Context, f filters.Args) (*imagetypes.PruneReport, error) {
	if !s.pruning.CompareAndSwap(false, true) {
		return nil, errPruneRunning()
	}
	defer s.pruning.Store(false)

	flt, err := s.newImageFilter(ctx, f, pruneFilters()...)
	if err != nil {
		return nil, err
	}
	// No dangling filter prunes dangling images only; dangling=false every
	// image (`docker image prune -a`).
	if flt.dangling == nil || *flt.dangling {
		danglingOnly := true
		flt.dangling = &danglingOnly
	} else {
		flt.dangling = nil
	}
	cands, err := s.pruneCandidates(ctx, flt)
	if err != nil {
		return nil, err
	}
	report := &imagetypes.PruneReport{ImagesDeleted: []imagetypes.DeleteResponse{}}
	if len(cands) > 0 {
		if err := s.pruneImages(ctx, cands, report); err != nil {
			return nil, err
		}
	}
	if s.events != nil {
		s.events.Log(events.ImageEventType, events.ActionPrune, events.Actor{
			Attributes: map[string]string{"reclaimed": strconv.FormatUint(report.SpaceReclaimed, 10)},
		})
	}
	return report, nil
}

// pruneCandidate is one image (target) whose selected records go.
type pruneCandidate struct {
	*selectedImage
	labels map[string]string
}

// pruneCandidates selects the records to delete, grouped by target.
func (s *ImageService) pruneCandidates(ctx context.Context, flt *imageFilter) ([]*pruneCandidate, error) {
	selected, err := s.selectImages(ctx, flt, s.newUsageCache(), false)
	if err != nil {
		return nil, err
	}
	out := make([]*pruneCandidate, 0, len(selected))
	for _, sel := range selected {
		out = append(out, &pruneCandidate{selectedImage: sel, labels: sel.view.labels()})
	}
	return out, nil
}

// pruneImages deletes the candidates' records, collects garbage once and
// fills report with what is gone.
func (s *ImageService) pruneImages(ctx context.Context, cands []*pruneCandidate, report *imagetypes.PruneReport) error {
	// What could go, measured before anything is deleted.
	blobSizes := map[digest.Digest]int64{}
	snapUsage := map[digest.Digest]int64{}
	cache := s.newUsageCache()
	for _, c := range cands {
		for _, pm := range c.view.manifests {
			for _, b := range pm.Blobs {
				blobSizes[b.Digest] = b.Size
			}
			for _, id := range pm.ChainIDs {
				if n, ok, err := cache.usage(ctx, id); err == nil && ok {
					snapUsage[id] = n
				}
			}
		}
	}

	type pruned struct {
		c     *pruneCandidate
		names []string
		whole bool
	}
	var done []pruned
	for _, c := range cands {
		p := pruned{c: c}
		for _, rec := range c.records {
			target := rec.Target
			if err := s.images.Delete(ctx, rec.Name, c8dimages.DeleteTarget(&target)); err != nil {
				if errdefs.IsNotFound(err) {
					continue // gone or re-pointed meanwhile: not ours to remove
				}
				return err
			}
			if !IsDangling(rec) {
				familiar := familiarName(rec.Name)
				p.names = append(p.names, familiar)
				s.logImageEvent(events.ActionUnTag, rec.Target.Digest.String(), familiar, c.labels)
			}
		}
		left, err := s.recordsOf(ctx, c.view.target.Digest)
		if err != nil {
			return err
		}
		p.whole = len(left) == 0
		if p.whole {
			id := c.view.target.Digest.String()
			s.logImageEvent(events.ActionDelete, id, id, c.labels)
		}
		done = append(done, p)
	}

	if err := s.storage.CollectGarbage(ctx); err != nil {
		return err
	}

	reported := map[digest.Digest]bool{}
	for _, p := range done {
		for _, n := range p.names {
			report.ImagesDeleted = append(report.ImagesDeleted, imagetypes.DeleteResponse{Untagged: n})
		}
		var gone []digest.Digest
		for _, pm := range p.c.view.manifests {
			for _, b := range pm.Blobs {
				if reported[b.Digest] {
					continue
				}
				present, err := blobPresent(ctx, s.content, b.Digest)
				if err != nil {
					return err
				}
				if !present {
					reported[b.Digest] = true
					gone = append(gone, b.Digest)
				}
			}
		}
		// The image ID first, then its other blobs in walk order.
		sort.SliceStable(gone, func(i, j int) bool {
			return gone[i] == p.c.view.target.Digest && gone[j] != p.c.view.target.Digest
		})
		for _, d := range gone {
			report.ImagesDeleted = append(report.ImagesDeleted, imagetypes.DeleteResponse{Deleted: d.String()})
			report.SpaceReclaimed += uint64(blobSizes[d])
		}
	}
	sn := s.snapshotService()
	for id, n := range snapUsage {
		if _, err := sn.Stat(ctx, id.String()); errdefs.IsNotFound(err) {
			report.SpaceReclaimed += uint64(n)
		}
	}
	log.G(ctx).WithField("reclaimed", report.SpaceReclaimed).Info("images pruned")
	return nil
}
