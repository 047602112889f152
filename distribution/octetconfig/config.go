// Package octetconfig lets containerd's client.Pull handle docker 1.10-era
// images, whose schema 2 manifest names its config with media type
// "application/octet-stream".
//
// containerd 2.4's unpacker queues a manifest's layers under its config
// only when the config has a known config media type, so with
// WithPullUnpack those layers are never fetched and the pull ends in
// "content digest …: not found" (containerd#10628). Without unpack,
// client.Pull sees the octet-stream config and rewrites the manifest
// (docker.ConvertManifest): the image gets a new target digest and loses
// the registry's.
//
// ConfigTypeWrapper avoids both: pass it to client.Pull with
// client.WithImageHandlerWrapper. client.Pull applies the unpacker around
// it (unpacker.Unpack(wrapper(h))), so the unpacker and the rest of the
// dispatch only ever see the config as a docker schema 2 config: layers are
// queued and unpacked, client.Pull's octet-stream detection never fires,
// and the image record keeps the manifest exactly as the registry served
// it. The manifest blob in the content store is not modified.
package octetconfig

import (
	"context"
	"slices"

	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/layer"
)

// ConfigTypeWrapper wraps the pull's image handler: for an image manifest
// (docker schema 2 or OCI) whose config has media type
// application/octet-stream and whose other children are all image layers,
// it returns the children with the config presented as
// application/vnd.docker.container.image.v1+json. Artifacts (non-layer
// children) and everything else pass unchanged.
//
// To combine it with another wrapper w, apply it innermost so that w sees
// the corrected type too: func(h images.Handler) images.Handler { return
// w(octetconfig.ConfigTypeWrapper(h)) }.
func ConfigTypeWrapper(h images.Handler) images.Handler {
	return images.HandlerFunc(func(ctx context.Context, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
		children, err := h.Handle(ctx, desc)
		if err != nil || !images.IsManifestType(desc.MediaType) || !octetStreamImage(children) {
			return children, err
		}
		children = slices.Clone(children)
		children[0].MediaType = images.MediaTypeDockerSchema2Config
		return children, nil
	})
}

// octetStreamImage reports whether a manifest's children (config first, as
// images.Children returns them) are an image with an octet-stream config.
// Referrers appended by images.SetReferrers are ignored.
func octetStreamImage(children []ocispec.Descriptor) bool {
	if len(children) == 0 || children[0].MediaType != docker.LegacyConfigMediaType {
		return false
	}
	for _, c := range children[1:] {
		if _, referrer := c.Annotations[images.AnnotationManifestSubject]; referrer {
			continue
		}
		if !layer.IsMediaType(c.MediaType) {
			return false
		}
	}
	return true
}
