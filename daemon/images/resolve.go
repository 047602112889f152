package images

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
)

// minIDPrefix is the shortest hex string taken as an image ID prefix, as in
// dockerd ("abc" is only ever the name abc:latest).
const minIDPrefix = 4

// errNoSuchImage is dockerd's not-found error for a name or ID: a name
// without tag or digest is shown with ":latest".
func errNoSuchImage(ref reference.Reference) error {
	if named, ok := ref.(reference.Named); ok {
		ref = reference.TagNameOnly(named)
	}
	return errdefs.ErrNotFound.WithMessage("No such image: " + reference.FamiliarString(ref))
}

// resolution is what a user-supplied name designates.
type resolution struct {
	// match is the record the name designates, nil when the name is a
	// digest (an ID, or repository@digest) that only matched by target.
	match *c8dimages.Image
	// all holds every record pointing at the same target, sorted by name.
	all []c8dimages.Image
	// byID is true when the name is a full or short image ID (or an explicit
	// dangling name): it designates the image, not one of its names.
	byID bool
	// named is the parsed name when it is a repository reference (with tag
	// or digest), nil for IDs.
	named reference.Named
}

// target is the digest every record of r points at.
func (r resolution) target() digest.Digest {
	return r.all[0].Target.Digest
}

// image returns the designated record, or the preferred record of the
// target when the name matched by digest.
func (r resolution) image() c8dimages.Image {
	if r.match != nil {
		return *r.match
	}
	return preferNamed(r.all)
}

// GetImage finds the image record a user-supplied name means: a full or
// "sha256:"-prefixed ID, a unique ID prefix (at least 4 hex digits),
// name:tag, name@digest, or a familiar name (alpine means
// docker.io/library/alpine:latest). Every endpoint resolves names here.
func (s *ImageService) GetImage(ctx context.Context, name string) (c8dimages.Image, error) {
	r, err := s.resolve(ctx, name)
	if err != nil {
		return c8dimages.Image{}, err
	}
	return r.image(), nil
}

// resolve interprets name as dockerd does and returns the designated record
// with all the records sharing its target.
func (s *ImageService) resolve(ctx context.Context, name string) (resolution, error) {
	if strings.TrimSpace(name) == "" {
		return resolution{}, errdefs.ErrInvalidArgument.WithMessage("image name cannot be blank")
	}
	parsed, err := reference.ParseAnyReference(name)
	if err != nil {
		return resolution{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid reference format: %q: %v", name, err))
	}
	named, isNamed := parsed.(reference.Named)
	digested, isDigested := parsed.(reference.Digested)

	switch {
	case !isNamed && isDigested:
		// A full ID, with or without "sha256:".
		all, err := s.recordsOf(ctx, digested.Digest())
		if err != nil {
			return resolution{}, err
		}
		if len(all) == 0 {
			return resolution{}, errNoSuchImage(parsed)
		}
		return resolution{all: all, byID: true}, nil

	case isDigested:
		// repository@digest: the digest must be stored under that repository.
		all, err := s.recordsOf(ctx, digested.Digest())
		if err == nil && len(all) == 0 {
			all, err = s.recordsByRegistryDigest(ctx, digested.Digest())
		}
		if err != nil {
			return resolution{}, err
		}
		var match *c8dimages.Image
		sameRepo := false
		for i, img := range all {
			if img.Name == named.String() || img.Name == name {
				match = &all[i]
			}
			if rn, err := reference.ParseNormalizedNamed(img.Name); err == nil && rn.Name() == named.Name() {
				sameRepo = true
			}
		}
		if !sameRepo {
			return resolution{}, errNoSuchImage(parsed)
		}
		byID := match != nil && IsDangling(*match)
		return resolution{match: match, all: all, byID: byID, named: named}, nil
	}

	// A name, possibly tag-less; or a short ID that looks like a name.
	tagged := reference.TagNameOnly(named)
	img, err := s.images.Get(ctx, tagged.String())
	switch {
	case err == nil:
		all, err := s.recordsOf(ctx, img.Target.Digest)
		if err != nil {
			return resolution{}, err
		}
		if len(all) == 0 { // deleted meanwhile
			return resolution{}, errNoSuchImage(parsed)
		}
		for i := range all {
			if all[i].Name == img.Name {
				return resolution{match: &all[i], all: all, named: tagged}, nil
			}
		}
		return resolution{}, errNoSuchImage(parsed)
	case !errdefs.IsNotFound(err):
		return resolution{}, err
	}
	if prefix, ok := idPrefix(name); ok {
		return s.resolvePrefix(ctx, name, prefix, parsed)
	}
	return resolution{}, errNoSuchImage(parsed)
}

// resolvePrefix finds the image whose ID starts with prefix.
func (s *ImageService) resolvePrefix(ctx context.Context, name, prefix string, parsed reference.Reference) (resolution, error) {
	filter := "target.digest~=" + strconv.Quote(fmt.Sprintf(`^sha256:%s[0-9a-f]*$`, regexp.QuoteMeta(prefix)))
	list, err := s.images.List(ctx, filter)
	if err != nil {
		return resolution{}, err
	}
	if len(list) == 0 {
		return resolution{}, errNoSuchImage(parsed)
	}
	ids := map[digest.Digest]struct{}{}
	for _, img := range list {
		ids[img.Target.Digest] = struct{}{}
	}
	if len(ids) > 1 {
		var matches []string
		for id := range ids {
			matches = append(matches, id.String())
		}
		sort.Strings(matches)
		return resolution{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(
			"ambiguous image ID prefix %q: it matches %d images (%s); use more characters or a name",
			name, len(matches), strings.Join(matches, ", ")))
	}
	sortByName(list)
	return resolution{all: list, byID: true}, nil
}

// recordsOf lists the records pointing at dgst, sorted by name.
func (s *ImageService) recordsOf(ctx context.Context, dgst digest.Digest) ([]c8dimages.Image, error) {
	if _, _, ok := s.generations(); !ok {
		list, err := s.images.List(ctx, "target.digest=="+dgst.String())
		if err != nil {
			return nil, err
		}
		sortByName(list)
		return list, nil
	}
	snap, err := s.recordsSnapshot(ctx)
	if err != nil {
		return nil, err
	}
	idx := snap.byTarget[dgst]
	list := make([]c8dimages.Image, len(idx))
	for i, j := range idx {
		list[i] = snap.records[j]
	}
	return list, nil
}

// idPrefix reports whether name is a short image ID (4 to 63 lower-case hex
// digits, optionally after "sha256:") and returns the hex part.
func idPrefix(name string) (string, bool) {
	hex := strings.TrimPrefix(name, "sha256:")
	if len(hex) < minIDPrefix || len(hex) >= 64 {
		return "", false
	}
	for _, c := range hex {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "", false
		}
	}
	return hex, true
}

// preferNamed picks a non-dangling record when there is one.
func preferNamed(list []c8dimages.Image) c8dimages.Image {
	for _, img := range list {
		if !IsDangling(img) {
			return img
		}
	}
	return list[0]
}

func sortByName(list []c8dimages.Image) {
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
}

// goneMeanwhile returns the not-found a user expects when name no longer
// resolves — its image was removed (an rmi beside this request) while the
// request read the content the name had led to — and err otherwise.
func (s *ImageService) goneMeanwhile(ctx context.Context, name string, err error) error {
	if _, rerr := s.resolve(ctx, name); errdefs.IsNotFound(rerr) {
		return rerr
	}
	return err
}
