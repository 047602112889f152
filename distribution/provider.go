package distribution

import (
	"context"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// FetchThrough is a content provider that reads from the store and fetches
// what is missing from the registry into it first (under the caller's
// lease). The pull uses it to read indexes, manifests and configs before the
// layers are dispatched, so nothing is fetched twice.
type FetchThrough struct {
	Store   content.Store
	Fetcher remotes.Fetcher
}

// ReaderAt implements content.Provider.
func (f FetchThrough) ReaderAt(ctx context.Context, desc ocispec.Descriptor) (content.ReaderAt, error) {
	ra, err := f.Store.ReaderAt(ctx, desc)
	if err == nil || !errdefs.IsNotFound(err) {
		return ra, err
	}
	// Like the pull's layers, never fetch from a descriptor's foreign URLs:
	// blobs come from the registry, as with dockerd.
	desc.URLs = nil
	if err := remotes.Fetch(ctx, f.Store, f.Fetcher, desc); err != nil && !errdefs.IsAlreadyExists(err) {
		return nil, err
	}
	return f.Store.ReaderAt(ctx, desc)
}
