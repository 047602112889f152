package images

import (
	"context"
	"fmt"

	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/events"
	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/opencontainers/go-digest"

	"github.com/berth-dev/berth/api/types/backend"
)

// ImageDelete is DELETE /images/{name}, with dockerd's semantics:
//
//   - by ID (full, prefix, or an explicit dangling name) the image goes with
//     all its names; without force that is refused when the names span more
//     than one tag or repository;
//   - by name only that name goes (and, for name@digest, every name of that
//     repository); the image goes too once no other name points at it.
//
// The answer lists each removed name as Untagged (dangling records are not
// names and never listed) and the image ID as Deleted when the image went.
// The image's blobs and snapshots are garbage-collected before it returns.
// NoPrune concerns the parents of classic-builder images, which berthd does
// not have.
func (s *ImageService) ImageDelete(ctx context.Context, name string, opts backend.DeleteOptions) ([]imagetypes.DeleteResponse, error) {
	if len(opts.Platforms) > 0 && !opts.Force {
		// dockerd's text, typo included: the CLI user is told to add -f.
		return nil, errdefs.ErrInvalidArgument.WithMessage("Content will be removed from all images referencing this variant. Use —-force to force delete.")
	}
	r, err := s.resolve(ctx, name)
	if err != nil {
		return nil, err
	}
	id := r.target()
	if len(opts.Platforms) > 0 {
		return s.deletePlatforms(ctx, r.image(), opts.Platforms)
	}
	labels := s.eventLabels(ctx, r.all[0].Target)

	if r.byID {
		if !opts.Force && !isSingleReference(r.all) {
			return nil, errConflict(id, "image is referenced in multiple repositories")
		}
		return s.deleteRecords(ctx, id, r.all, labels, true)
	}
	same := sameReferences(r.named, r.all)
	if len(same) == 0 {
		return nil, errNoSuchImage(r.named)
	}
	return s.deleteRecords(ctx, id, same, labels, len(same) == len(r.all))
}

// errConflict is dockerd's image delete conflict for a soft conflict.
func errConflict(id digest.Digest, why string) error {
	return errdefs.ErrConflict.WithMessage(fmt.Sprintf("conflict: unable to delete %s (must be forced) - %s", shortID(id), why))
}

// deleteRecords removes recs, reporting and logging each name as untagged,
// and, when they were all the image's records (whole), the image as
// deleted. Only whole deletions wait for a garbage collection.
func (s *ImageService) deleteRecords(ctx context.Context, id digest.Digest, recs []c8dimages.Image, labels map[string]string, whole bool) ([]imagetypes.DeleteResponse, error) {
	var out []imagetypes.DeleteResponse
	collected := false
	if whole && len(recs) > 1 && s.storage != nil {
		// The last removal collects: no background collection halfway.
		defer s.storage.HoldCollections()()
	}
	for i, rec := range recs {
		// Only if it still points here: a pull may have moved the name.
		target := rec.Target
		opts := []c8dimages.DeleteOpt{c8dimages.DeleteTarget(&target)}
		last := whole && i == len(recs)-1
		if last {
			// The last record's delete waits for the garbage collection.
			opts = append(opts, c8dimages.SynchronousDelete())
		}
		if err := s.images.Delete(ctx, rec.Name, opts...); err != nil {
			if !errdefs.IsNotFound(err) {
				return out, err
			}
			continue // removed or moved concurrently
		}
		collected = last
		if IsDangling(rec) {
			continue
		}
		familiar := familiarName(rec.Name)
		out = append(out, imagetypes.DeleteResponse{Untagged: familiar})
		s.logImageEvent(events.ActionUnTag, id.String(), familiar, labels)
	}
	if whole {
		if !collected {
			if err := s.storage.CollectGarbage(ctx); err != nil {
				log.G(ctx).WithError(err).Warn("garbage collection after image delete failed")
			}
		}
		out = append(out, imagetypes.DeleteResponse{Deleted: id.String()})
		s.logImageEvent(events.ActionDelete, id.String(), id.String(), labels)
		log.G(ctx).WithField("image", id).Info("image deleted")
	}
	return out, nil
}

// sameReferences picks, among all (records of one target), those a
// user-given name removes, as dockerd does: for name:tag that record, plus
// the digest-only records of the same repository when the repository has
// no other tag there; for name@digest every record of the repository.
// Dangling records always go along.
func sameReferences(named reference.Named, all []c8dimages.Image) []c8dimages.Image {
	tag := ""
	allTags := false
	if tagged, ok := named.(reference.Tagged); ok {
		tag = tagged.Tag()
	} else if _, ok := named.(reference.Digested); ok {
		allTags = true
	}
	var same []c8dimages.Image
	digestRefs := []c8dimages.Image{}
	for _, rec := range all {
		if IsDangling(rec) {
			same = append(same, rec)
			continue
		}
		ref, err := reference.ParseNormalizedNamed(rec.Name)
		if err != nil || ref.Name() != named.Name() {
			continue
		}
		if !allTags {
			tagged, ok := ref.(reference.Tagged)
			if !ok {
				if digestRefs != nil {
					digestRefs = append(digestRefs, rec)
				}
				continue
			}
			if tagged.Tag() != tag {
				digestRefs = nil // the repository keeps another tag here
				continue
			}
		}
		same = append(same, rec)
	}
	onlyDangling := true
	for _, rec := range same {
		if !IsDangling(rec) {
			onlyDangling = false
		}
	}
	if onlyDangling {
		return nil // the name itself is not among the records
	}
	return append(same, digestRefs...)
}

// isSingleReference reports whether an image's names are at most one tag
// plus digest references of that same repository: then deleting it by ID
// needs no force.
func isSingleReference(all []c8dimages.Image) bool {
	var tagged reference.Named
	digestRepos := map[string]bool{}
	for _, rec := range all {
		if IsDangling(rec) {
			continue
		}
		ref, err := reference.ParseNormalizedNamed(rec.Name)
		if err != nil {
			return false
		}
		if _, ok := ref.(reference.Canonical); ok {
			if _, isTagged := ref.(reference.Tagged); !isTagged {
				digestRepos[ref.Name()] = true
				continue
			}
		}
		if tagged != nil {
			return false
		}
		tagged = ref
	}
	switch {
	case tagged == nil:
		return len(digestRepos) <= 1
	case len(digestRepos) == 0:
		return true
	default:
		return len(digestRepos) == 1 && digestRepos[tagged.Name()]
	}
}
