package image

import (
	"fmt"

	"github.com/containerd/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Limits on what a registry may make berthd read, so a hostile one cannot
// make it use unbounded memory or disk. Every reader of image metadata
// (pull, list, inspect) applies them; exceeding one is an
// errdefs.ErrInvalidArgument (400) and nothing is stored.
const (
	// MaxManifestSize bounds manifests and indexes (4 MiB): the body limit
	// of the reference registry (distribution's registry/handlers
	// maxManifestBodySize = 4 << 20), which containerd's resolver also
	// approximates (remotes/docker MaxManifestSize = 4*1048*1048, enforced
	// at resolve only, as a not-found).
	MaxManifestSize = 4 << 20
	// MaxConfigSize bounds image configs (8 MiB): a config is a few KiB; the
	// largest real ones (long histories) stay well under 1 MiB.
	MaxConfigSize = 8 << 20
	// MaxIndexDepth is how many indexes may be nested above a manifest,
	// the root index included. Real images use one (rarely two).
	MaxIndexDepth = 8
	// MaxLayers bounds the layers of one image: overlayfs stacks at most
	// 500 lower directories (the kernel's OVL_MAX_STACK); dockerd's layer
	// store refuses chains deeper than 125 (moby layer/layer_store.go
	// maxLayerDepth) and its overlay2 driver mounts at most 128 lowers.
	MaxLayers = 500
)

// CheckManifestSize refuses a manifest or index descriptor larger than
// MaxManifestSize (or of an impossible size).
func CheckManifestSize(desc ocispec.Descriptor) error {
	if desc.Size > MaxManifestSize || desc.Size < 0 {
		return ErrManifestTooLarge(desc.Digest.String(), desc.Size)
	}
	return nil
}

// ErrManifestTooLarge is the error for a manifest or index of size bytes,
// named by name (a digest or a reference), over MaxManifestSize.
func ErrManifestTooLarge(name string, size int64) error {
	return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(
		"manifest too large: %s is %d bytes, the limit is %d bytes (4 MiB)", name, size, MaxManifestSize))
}

// CheckConfigSize refuses an image config descriptor larger than
// MaxConfigSize.
func CheckConfigSize(desc ocispec.Descriptor) error {
	if desc.Size > MaxConfigSize || desc.Size < 0 {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(
			"image config too large: %s is %d bytes, the limit is %d bytes (8 MiB)", desc.Digest, desc.Size, MaxConfigSize))
	}
	return nil
}

// CheckLayerCount refuses an image of more than MaxLayers layers.
func CheckLayerCount(n int) error {
	if n > MaxLayers {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(
			"too many layers: the image has %d layers, the limit is %d", n, MaxLayers))
	}
	return nil
}

// errIndexTooDeep is the error for indexes nested deeper than MaxIndexDepth.
func errIndexTooDeep(desc ocispec.Descriptor) error {
	return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(
		"index nesting too deep: %s is nested more than %d indexes deep", desc.Digest, MaxIndexDepth))
}
