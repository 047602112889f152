package image

import (
	"context"
	"io"
	"net/http"

	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/registry"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/api/types/backend"
	"github.com/berth-dev/berth/api/types/filters"
)

// Backend is the image service as the API sees it.
type Backend interface {
	PullImage(ctx context.Context, opts backend.PullOptions, out backend.ProgressWriter) error
	ImportImage(ctx context.Context, opts backend.ImportOptions, out backend.ProgressWriter) (digest.Digest, error)
	PushImage(ctx context.Context, opts backend.PushOptions, out backend.ProgressWriter) error
	Images(ctx context.Context, opts backend.ListOptions) ([]image.Summary, error)
	ImageInspect(ctx context.Context, name string, opts backend.InspectOptions) (*image.InspectResponse, error)
	ImageHistory(ctx context.Context, name string, platform *ocispec.Platform) ([]image.HistoryResponseItem, error)
	TagImage(ctx context.Context, name, repo, tag string) error
	ImageDelete(ctx context.Context, name string, opts backend.DeleteOptions) ([]image.DeleteResponse, error)
	ImagesPrune(ctx context.Context, f filters.Args) (*image.PruneReport, error)
	SearchRegistryForImages(ctx context.Context, f filters.Args, term string, limit int, auth *registry.AuthConfig, meta http.Header) ([]registry.SearchResult, error)
	ExportImage(ctx context.Context, names []string, platforms []ocispec.Platform, out io.Writer) error
	LoadImage(ctx context.Context, in io.Reader, opts backend.LoadOptions, out backend.ProgressWriter) error
}
