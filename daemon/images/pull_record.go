package images

import (
	"context"

	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/jsonstream"

	"github.com/berth-dev/berth/api/types/backend"
)

// The record step of the pull: name what was pulled, keep what the name
// meant before as dangling, and report.

// pullBase is what the reference named before the pull.
type pullBase struct {
	image  c8dimages.Image
	exists bool
}

// holdPrevious finds the image ref names now and adds its content to the
// pull's lease, so it survives the pull to be kept as dangling.
func (s *ImageService) holdPrevious(ctx context.Context, ref reference.Named) pullBase {
	img, err := s.images.Get(ctx, ref.String())
	if err != nil {
		return pullBase{}
	}
	if err := s.leaseImageContent(ctx, img); err != nil {
		log.G(ctx).WithError(err).Warn("failed to lease the previous image's content")
	}
	return pullBase{image: img, exists: true}
}

// storeImage writes rec, replacing the record of the same name; updated is
// true when a record of that name was there to replace.
func (s *ImageService) storeImage(ctx context.Context, rec c8dimages.Image) (stored c8dimages.Image, updated bool, err error) {
	for {
		created, err := s.images.Create(ctx, rec)
		if err == nil {
			return created, false, nil
		}
		if !errdefs.IsAlreadyExists(err) {
			return c8dimages.Image{}, false, err
		}
		replaced, err := s.images.Update(ctx, rec)
		if err == nil {
			return replaced, true, nil
		}
		if !errdefs.IsNotFound(err) {
			return c8dimages.Image{}, false, err
		}
		// Removed meanwhile: create it again.
	}
}

// recordPull keeps the replaced image as dangling, drops the dangling record
// of what was pulled, and reports the result and the event. replaced says
// whether the store updated the record the reference had (a previous image
// removed during the pull is not brought back).
func (s *ImageService) recordPull(ctx context.Context, ref reference.Named, res pullResult, old pullBase, replaced bool, out backend.ProgressWriter) {
	ctx = context.WithoutCancel(ctx)
	target := res.target
	upToDate := old.exists && old.image.Target.Digest == target.Digest
	if old.exists && replaced && !upToDate {
		if err := s.keepAsDangling(ctx, old.image); err != nil {
			log.G(ctx).WithError(err).Warn("failed to keep the previous image as dangling")
		}
	}
	if err := s.removeDangling(ctx, target.Digest); err != nil {
		log.G(ctx).WithError(err).Warn("failed to remove the dangling record of the pulled image")
	}
	s.reportPulled(ctx, ref, res, upToDate, out)
}

// reportPulled ends a pull's stream ("Digest:", "Status:"), logs it and
// sends its event: the same for a pull that followed another.
func (s *ImageService) reportPulled(ctx context.Context, ref reference.Named, res pullResult, upToDate bool, out backend.ProgressWriter) {
	status := "Status: Downloaded newer image for "
	if upToDate {
		status = "Status: Image is up to date for "
	}
	_ = out.WriteMessage(jsonstream.Message{Status: "Digest: " + res.registryDigest.String()})
	_ = out.WriteMessage(jsonstream.Message{Status: status + reference.FamiliarString(ref)})
	log.G(ctx).WithFields(log.Fields{"digest": res.target.Digest, "remote": ref.String()}).Info("image pulled")
	s.logImageEvent(events.ActionPull, reference.FamiliarString(ref), reference.FamiliarName(ref), res.configLabels)
}
