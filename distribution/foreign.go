package distribution

import (
	"context"
	"slices"

	"github.com/containerd/containerd/v2/core/images"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// NoForeignURLs wraps a pull's image handler so that no blob of an image
// is fetched from the external URLs its manifest lists.
//
// Foreign (application/vnd.docker.image.rootfs.foreign.diff.tar*) and OCI
// non-distributable layers carry "urls". containerd's docker fetcher tries
// a descriptor's URLs before the registry, and would send the pull's
// requests to whatever host a manifest names. dockerd's containerd image
// store does not fetch from those URLs by default: the layer must come from
// the registry, as every other blob. The wrapper returns the children of
// image manifests (docker schema 2 and OCI) with URLs removed, so the
// fetcher, the unpacker and the rest of the dispatch only ever see
// registry-only descriptors. Media types are kept, so the layers are
// unpacked as usual. The manifest blob in the content store is not
// modified.
//
// Apply it innermost, like octetconfig.ConfigTypeWrapper, so the other wrappers
// see the stripped descriptors.
func NoForeignURLs(h images.Handler) images.Handler {
	return images.HandlerFunc(func(ctx context.Context, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
		children, err := h.Handle(ctx, desc)
		if err != nil || !images.IsManifestType(desc.MediaType) || !hasURLs(children) {
			return children, err
		}
		children = slices.Clone(children)
		for i := range children {
			children[i].URLs = nil
		}
		return children, nil
	})
}

func hasURLs(descs []ocispec.Descriptor) bool {
	for _, d := range descs {
		if len(d.URLs) > 0 {
			return true
		}
	}
	return false
}
