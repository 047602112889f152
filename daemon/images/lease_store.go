package images

import (
	"context"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/leases"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// leasingStore is the content store as a push or a save reads it: every
// blob joins the context's lease before it is read, so once read it stays
// until the operation ends, whatever removals and prunes run beside it.
type leasingStore struct {
	content.Store
	leases leases.Manager
}

func (s *ImageService) leasingStore() content.Store {
	return leasingStore{Store: s.content, leases: s.leases}
}

func (l leasingStore) hold(ctx context.Context, d digest.Digest) error {
	id, ok := leases.FromContext(ctx)
	if !ok {
		return nil
	}
	return l.leases.AddResource(ctx, leases.Lease{ID: id}, leases.Resource{ID: d.String(), Type: "content"})
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
