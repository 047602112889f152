package images

import (
	"context"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// leasingStore is the content store as a push or a save reads it: every
// blob joins the context's lease before it is read, so once read it stays
// until the operation ends, whatever removals and prunes run beside it.
type leasingStore struct {
	content.Store
	s *ImageService
}

func (s *ImageService) leasingStore() content.Store {
	return leasingStore{Store: s.content, s: s}
}

func (l leasingStore) hold(ctx context.Context, d digest.Digest) error {
	_, err := l.s.leaseBlobs(ctx, []digest.Digest{d})
	return err
}

func (l leasingStore) Info(ctx context.Context, d digest.Digest) (content.Info, error) {
	if err := l.hold(ctx, d); err != nil {
		return content.Info{}, err
	}
	return l.Store.Info(ctx, d)
}

func (l leasingStore) ReaderAt(ctx context.Context, desc ocispec.Descriptor) (content.ReaderAt, error) {
	if err := l.hold(ctx, desc.Digest); err != nil {
		return nil, err
	}
	return l.Store.ReaderAt(ctx, desc)
}
