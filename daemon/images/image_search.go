package images

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/registry"

	"github.com/berth-dev/berth/api/types/filters"
)

// SearchRegistryForImages is GET /images/search, as dockerd: the filters
// (is-official, stars, and the deprecated is-automated) are checked before
// the registry is asked; results are filtered here, is_automated always
// false.
func (s *ImageService) SearchRegistryForImages(ctx context.Context, f filters.Args, term string, limit int, auth *registry.AuthConfig, meta http.Header) ([]registry.SearchResult, error) {
	if err := f.Validate("is-automated", "is-official", "stars"); err != nil {
		return nil, err
	}
	automated, _, err := f.Bool("is-automated")
	if err != nil {
		return nil, err
	}
	official, filterOfficial, err := f.Bool("is-official")
	if err != nil {
		return nil, err
	}
	minStars := 0
	for _, v := range f.Values("stars") {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid filter 'stars=%s': %v", v, err))
		}
		minStars = max(minStars, n)
	}
	if automated {
		return []registry.SearchResult{}, nil // Docker Hub no longer has automated builds
	}
	res, err := s.registries.Search(ctx, auth, term, limit, meta)
	if err != nil {
		return nil, err
	}
	out := []registry.SearchResult{}
	for _, r := range res.Results {
		if (filterOfficial && r.IsOfficial != official) || r.StarCount < minStars {
			continue
		}
		r.IsAutomated = false //nolint:staticcheck // deprecated, always false as dockerd
		out = append(out, r)
	}
	return out, nil
}
