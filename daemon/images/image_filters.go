package images

import (
	"context"
	"path"
	"time"

	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/log"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"

	"github.com/berth-dev/berth/api/types/filters"
)

// imageFilter is a parsed image filter set (GET /images/json, POST
// /images/prune). Name and record filters (dangling, reference, until)
// decide per record; content filters (label, label!, before, since) per
// image.
type imageFilter struct {
	args filters.Args

	dangling    *bool
	references  []string
	until       *time.Time
	before      *time.Time
	since       *time.Time
	hasLabels   bool
	hasNoLabels bool
}

// newImageFilter validates f against accepted and parses it. before and
// since name images, resolved like any name ("No such image" if absent).
func (s *ImageService) newImageFilter(ctx context.Context, f filters.Args, accepted ...string) (*imageFilter, error) {
	if err := f.Validate(accepted...); err != nil {
		return nil, err
	}
	flt := &imageFilter{args: f, references: f.Values("reference")}
	if f.Has("dangling") {
		v, _, err := f.Bool("dangling")
		if err != nil {
			return nil, err
		}
		flt.dangling = &v
	}
	var err error
	if flt.until, err = f.Until(time.Now()); err != nil {
		return nil, err
	}
	if err := f.ValidateLabels("label", "label!"); err != nil {
		return nil, err
	}
	flt.hasLabels, flt.hasNoLabels = f.Has("label"), f.Has("label!")
	if flt.before, err = s.createdOfAll(ctx, f.Values("before"), true); err != nil {
		return nil, err
	}
	if flt.since, err = s.createdOfAll(ctx, f.Values("since"), false); err != nil {
		return nil, err
	}
	return flt, nil
}

// createdOfAll resolves the named images and returns the tightest bound of
// their creation times: the earliest for before, the latest for since.
func (s *ImageService) createdOfAll(ctx context.Context, names []string, earliest bool) (*time.Time, error) {
	var bound *time.Time
	for _, name := range names {
		r, err := s.resolve(ctx, name)
		if err != nil {
			return nil, err
		}
		v, err := s.viewImage(ctx, r.image().Target, nil, s.newUsageCache())
		if err != nil {
			return nil, err
		}
		t := createdOf(v, r.image())
		if bound == nil || (earliest && t.Before(*bound)) || (!earliest && t.After(*bound)) {
			bound = &t
		}
	}
	return bound, nil
}

// needsContent reports whether matchImage has anything to check.
func (f *imageFilter) needsContent() bool {
	return f.hasLabels || f.hasNoLabels || f.before != nil || f.since != nil
}

// matchRecord applies the filters that depend on the record alone.
func (f *imageFilter) matchRecord(img c8dimages.Image) bool {
	if f.dangling != nil && *f.dangling != IsDangling(img) {
		return false
	}
	if f.until != nil && !img.CreatedAt.Before(*f.until) {
		return false
	}
	if len(f.references) > 0 {
		if IsDangling(img) {
			return false
		}
		ref, err := reference.ParseNormalizedNamed(img.Name)
		if err != nil {
			return false
		}
		if !matchReference(f.references, ref) {
			return false
		}
	}
	return true
}

// matchReference reports whether a glob of patterns matches ref in any of
// the forms dockerd's containerd store tries: familiar with and without tag
// ("alpine:3", "alpine"), canonical with and without tag
// ("docker.io/library/alpine:3", "docker.io/library/alpine").
func matchReference(patterns []string, ref reference.Named) bool {
	forms := []string{
		reference.FamiliarString(ref),
		reference.FamiliarName(ref),
		reference.TagNameOnly(ref).String(),
		ref.Name(),
	}
	for _, p := range patterns {
		for _, form := range forms {
			if ok, err := path.Match(p, form); err != nil {
				return false
			} else if ok {
				return true
			}
		}
	}
	return false
}

// matchImage applies the filters that depend on the image's content: its
// config labels and creation time.
func (f *imageFilter) matchImage(v *imageView, img c8dimages.Image) bool {
	lbls := v.labels()
	if f.hasLabels && !f.args.MatchLabels("label", lbls) {
		return false
	}
	if f.hasNoLabels && f.args.MatchAnyLabel("label!", lbls) {
		return false
	}
	if f.before != nil || f.since != nil {
		created := createdOf(v, img)
		if f.before != nil && !created.Before(*f.before) {
			return false
		}
		if f.since != nil && !created.After(*f.since) {
			return false
		}
	}
	return true
}

// createdOf is an image's creation time: its config's, else when the
// record was made.
func createdOf(v *imageView, img c8dimages.Image) time.Time {
	if v != nil && v.best != nil && v.best.Config != nil && v.best.Config.Created != nil {
		return *v.best.Config.Created
	}
	return img.CreatedAt
}

// selectedImage is one image (target) with its records that passed a
// filter, as GET /images/json lists and POST /images/prune deletes them.
type selectedImage struct {
	view    *imageView
	records []c8dimages.Image
}

// selectImages applies flt to every record, in name order, and groups the
// records that pass by target, in order of first appearance. An image whose
// content cannot be read fails the selection, unless lenient: then it is
// logged and selected without its content.
func (s *ImageService) selectImages(ctx context.Context, flt *imageFilter, cache *usageCache, lenient bool) ([]*selectedImage, error) {
	records, err := s.allRecords(ctx)
	if err != nil {
		return nil, err
	}
	byTarget := map[digest.Digest]*selectedImage{}
	var all []*selectedImage
	for _, rec := range records {
		if !flt.matchRecord(rec) {
			continue
		}
		sel, seen := byTarget[rec.Target.Digest]
		if !seen {
			v, err := s.viewImage(ctx, rec.Target, nil, cache)
			if err != nil {
				if !lenient {
					return nil, err
				}
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				log.G(ctx).WithError(err).WithField("image", rec.Name).Warn("cannot read image content; listing it without")
				v = &imageView{target: rec.Target}
			}
			sel = &selectedImage{view: v}
			byTarget[rec.Target.Digest] = sel
			all = append(all, sel)
		}
		if flt.needsContent() && !flt.matchImage(sel.view, rec) {
			continue
		}
		sel.records = append(sel.records, rec)
	}
	out := all[:0]
	for _, sel := range all {
		if len(sel.records) > 0 {
			out = append(out, sel)
		}
	}
	return out, nil
}
