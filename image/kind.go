package image

import (
	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/layer"
)

// BuildKit's annotations on the attestation manifests it adds to an index
// (docs/attestations/attestation-storage.md in moby/buildkit).
const (
	AnnotationReferenceType   = "vnd.docker.reference.type"
	AnnotationReferenceDigest = "vnd.docker.reference.digest"
	AttestationManifestType   = "attestation-manifest"
)

// AttestationFor reports whether an index child is an attestation manifest
// and, if so, the digest of the image manifest it describes.
func AttestationFor(desc ocispec.Descriptor) (digest.Digest, bool) {
	if desc.Annotations[AnnotationReferenceType] != AttestationManifestType {
		return "", false
	}
	d, err := digest.Parse(desc.Annotations[AnnotationReferenceDigest])
	if err != nil {
		return "", true
	}
	return d, true
}

// HasImageLayers reports whether a manifest is a runnable image: it has no
// layers (an empty image is still an image) or at least one layer of a known
// layer media type. Artifacts reusing the image manifest media type carry
// other layer types.
func HasImageLayers(m ocispec.Manifest) bool {
	if len(m.Layers) == 0 {
		return c8dimages.IsConfigType(m.Config.MediaType) || m.Config.MediaType == "application/octet-stream"
	}
	for _, l := range m.Layers {
		if layer.IsMediaType(l.MediaType) {
			return true
		}
	}
	return false
}
