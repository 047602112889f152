package distribution

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/distribution/schema1"
	"github.com/berth-dev/berth/image"
)

// typedResolver completes the root descriptor of a registry that answers a
// manifest request without saying what it is: no Content-Type, or a generic
// one (application/json, application/octet-stream: static file servers and
// some proxies; containerd/containerd#7390), or a HEAD with a zero
// Content-Length. containerd's resolver takes those headers as they are,
// and the pull would then fail on an "unexpected media type" or a zero
// size. Here the manifest is read by digest (at most image.MaxManifestSize,
// its digest checked) and described by its bytes: the media type its
// document declares, else the one its fields make it (manifests: an OCI
// index; fsLayers: schema 1; config: an OCI manifest), and its length.
type typedResolver struct {
	remotes.Resolver
}

func (r typedResolver) Resolve(ctx context.Context, ref string) (string, ocispec.Descriptor, error) {
	name, desc, err := r.Resolver.Resolve(ctx, ref)
	if err != nil || (desc.Size > 0 && !genericType(desc.MediaType)) {
		return name, desc, err
	}
	fetcher, err := r.Resolver.Fetcher(ctx, name)
	if err != nil {
		return "", ocispec.Descriptor{}, err
	}
	data, err := readManifest(ctx, fetcher, ref, desc)
	if err != nil {
		return "", ocispec.Descriptor{}, err
	}
	desc.Size = int64(len(data))
	if !knownRootType(desc.MediaType) {
		if mt := documentType(data); mt != "" {
			desc.MediaType = mt
		}
	}
	return name, desc, nil
}

// readManifest reads the manifest desc names from the registry's manifests
// endpoint, bounded and checked against its digest.
func readManifest(ctx context.Context, fetcher remotes.Fetcher, ref string, desc ocispec.Descriptor) ([]byte, error) {
	// A manifest type sends the request to the manifests endpoint; by
	// digest, what the registry returns does not depend on it.
	probe := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: desc.Digest, Size: image.MaxManifestSize}
	rc, err := fetcher.Fetch(ctx, probe)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if errdefs.IsFailedPrecondition(err) { // read past Size
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(
			"manifest too large: %s is more than %d bytes (4 MiB), the limit", ref, image.MaxManifestSize))
	}
	if err != nil {
		return nil, err
	}
	if desc.Digest.Algorithm().FromBytes(data) != desc.Digest {
		return nil, errdefs.ErrDataLoss.WithMessage(fmt.Sprintf(
			"the manifest the registry sent for %s does not match its digest %s", ref, desc.Digest))
	}
	return data, nil
}

// knownRootType reports whether mt is a type a pull reads as a root.
func knownRootType(mt string) bool {
	return images.IsManifestType(mt) || images.IsIndexType(mt) || schema1.IsSchema1(mt)
}

// genericType reports whether mt says nothing of what a manifest is.
func genericType(mt string) bool {
	switch mt {
	case "", "application/json", "application/octet-stream", "binary/octet-stream":
		return true
	}
	return false
}

// documentType is the media type of the manifest document data: the one it
// declares, else the one its fields imply, else "".
func documentType(data []byte) string {
	var doc struct {
		MediaType     string          `json:"mediaType"`
		SchemaVersion int             `json:"schemaVersion"`
		Manifests     json.RawMessage `json:"manifests"`
		FSLayers      json.RawMessage `json:"fsLayers"`
		Config        json.RawMessage `json:"config"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return "" // the pull reports the type and the document
	}
	switch {
	case doc.MediaType != "":
		return doc.MediaType
	case doc.Manifests != nil:
		return ocispec.MediaTypeImageIndex
	case doc.FSLayers != nil || doc.SchemaVersion == 1:
		return schema1.MediaTypeManifest
	case doc.Config != nil:
		return ocispec.MediaTypeImageManifest
	}
	return ""
}
