package layer

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/pkg/archive/compression"
	"github.com/containerd/containerd/v2/pkg/labels"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ChainIDs are the snapshot keys of a stack of layers given their diff IDs,
// oldest first. diffIDs is not modified (identity.ChainIDs computes in
// place).
func ChainIDs(diffIDs []digest.Digest) []digest.Digest {
	return identity.ChainIDs(slices.Clone(diffIDs))
}

// DiffID is the diff ID of the stored layer blob desc: the sha256 of its
// decompressed stream, as containerd's applier and dockerd compute it. It is
// cached in the blob's containerd.io/uncompressed label, which is read first.
// A blob that does not decompress is invalid content (errdefs.ErrDataLoss).
func DiffID(ctx context.Context, store content.Store, desc ocispec.Descriptor) (digest.Digest, error) {
	info, err := store.Info(ctx, desc.Digest)
	if err != nil {
		return "", err
	}
	if cached, err := digest.Parse(info.Labels[labels.LabelUncompressed]); err == nil {
		return cached, nil
	}
	if desc.Size == 0 {
		desc.Size = info.Size
	}
	ra, err := store.ReaderAt(ctx, desc)
	if err != nil {
		return "", err
	}
	defer ra.Close()
	dr, err := compression.DecompressStream(content.NewReader(ra))
	if err != nil {
		return "", fmt.Errorf("layer %s: %v: %w", desc.Digest, err, errdefs.ErrDataLoss)
	}
	defer dr.Close()
	digester := digest.Canonical.Digester()
	if _, err := io.Copy(digester.Hash(), dr); err != nil {
		return "", fmt.Errorf("layer %s: decompress: %v: %w", desc.Digest, err, errdefs.ErrDataLoss)
	}
	diffID := digester.Digest()
	if _, err := store.Update(ctx, content.Info{
		Digest: desc.Digest,
		Labels: map[string]string{labels.LabelUncompressed: diffID.String()},
	}, "labels."+labels.LabelUncompressed); err != nil {
		log.G(ctx).WithError(err).WithField("digest", desc.Digest).Debug("cannot cache the diff ID label")
	}
	return diffID, nil
}
