package image

import (
	"fmt"

	"github.com/containerd/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// CheckManifest refuses, before anything it names is fetched or stored, a
// manifest (desc) that cannot describe an image: a config or layer whose
// digest is malformed or whose size is negative (a registry's or an
// archive's mistake, or a hostile one), or more than MaxLayers layers. The
// error is an errdefs.ErrInvalidArgument naming the descriptor.
func CheckManifest(desc ocispec.Descriptor, m ocispec.Manifest) error {
	if err := checkDescriptor(m.Config); err != nil {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid image manifest %s: config: %v", desc.Digest, err))
	}
	if err := CheckLayerCount(len(m.Layers)); err != nil {
		return err
	}
	for i, l := range m.Layers {
		if err := checkDescriptor(l); err != nil {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid image manifest %s: layer %d: %v", desc.Digest, i, err))
		}
	}
	return nil
}

// checkDescriptor says what makes d name no blob.
func checkDescriptor(d ocispec.Descriptor) error {
	if err := d.Digest.Validate(); err != nil {
		return fmt.Errorf("invalid digest %q: %v", d.Digest, err)
	}
	if d.Size < 0 {
		return fmt.Errorf("blob %s has a negative size (%d)", d.Digest, d.Size)
	}
	return nil
}
