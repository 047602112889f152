package images

// Placeholders until the image management endpoints land (issue 4).

import (
	"context"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/image"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/api/types/backend"
	"github.com/berth-dev/berth/api/types/filters"
)

var errTODO = errdefs.ErrNotImplemented.WithMessage("not implemented yet")

func (s *ImageService) Images(ctx context.Context, opts backend.ListOptions) ([]image.Summary, error) {
	return nil, errTODO
}

func (s *ImageService) ImageInspect(ctx context.Context, name string, opts backend.InspectOptions) (*image.InspectResponse, error) {
	return nil, errTODO
}

func (s *ImageService) ImageHistory(ctx context.Context, name string, platform *ocispec.Platform) ([]image.HistoryResponseItem, error) {
	return nil, errTODO
}

func (s *ImageService) TagImage(ctx context.Context, name, repo, tag string) error { return errTODO }

func (s *ImageService) ImageDelete(ctx context.Context, name string, opts backend.DeleteOptions) ([]image.DeleteResponse, error) {
	return nil, errTODO
}

func (s *ImageService) ImagesPrune(ctx context.Context, f filters.Args) (*image.PruneReport, error) {
	return nil, errTODO
}

func (s *ImageService) ImageForContainer(ctx context.Context, name string, platform *ocispec.Platform) error {
	_, err := s.GetImage(ctx, name)
	return err
}
