package schema1

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ResolveAccept is an Accept header for resolving references that also
// admits schema 1: containerd's default list with the schema 1 types added
// last (lowest preference), as dockerd ≤ 27 asked. Pass it as
// docker.ResolverOptions.Headers["Accept"]; containerd then uses it for
// resolution only (HEAD/GET of manifests by tag or digest).
const ResolveAccept = "application/vnd.docker.distribution.manifest.v2+json, " +
	"application/vnd.docker.distribution.manifest.list.v2+json, " +
	"application/vnd.oci.image.manifest.v1+json, " +
	"application/vnd.oci.image.index.v1+json, " +
	MediaTypeSignedManifest + ", " + MediaTypeManifest + ", */*"

// IsSchema1Rejection reports whether err is containerd's refusal of a
// schema 1 manifest (errdefs.ErrNotImplemented naming the schema 1 media
// type). Resolve returns it when the registry's HEAD answer has no
// Docker-Content-Digest or Content-Length and it had to GET the manifest;
// use FetchManifestByRef then.
func IsSchema1Rejection(err error) bool {
	return err != nil && errdefs.IsNotImplemented(err) && strings.Contains(err.Error(), MediaTypeSignedManifest)
}

// FetchManifest downloads the schema 1 manifest desc (as returned by a
// containerd docker resolver's Resolve) through fetcher, by digest, and
// parses and verifies it. desc.Digest must be the manifest's digest (of the
// payload, as registries report it, or of the whole signed document).
func FetchManifest(ctx context.Context, fetcher remotes.FetcherByDigest, desc ocispec.Descriptor) (*Manifest, error) {
	if !IsSchema1(desc.MediaType) {
		return nil, invalid("media type %q is not a schema 1 manifest", desc.MediaType)
	}
	if desc.Size > MaxManifestSize {
		return nil, invalid("schema 1 manifest %s is too large (%d bytes)", desc.Digest, desc.Size)
	}
	rc, _, err := fetcher.FetchByDigest(ctx, desc.Digest, remotes.WithMediaType(desc.MediaType))
	if err != nil {
		return nil, fmt.Errorf("schema1: fetch manifest %s: %w", desc.Digest, err)
	}
	defer rc.Close()
	data, err := readManifest(rc)
	if err != nil {
		return nil, fmt.Errorf("schema1: fetch manifest %s: %w", desc.Digest, err)
	}
	m, _, err := Parse(data, desc.MediaType)
	if err != nil {
		return nil, err
	}
	if err := checkDigest(m, data, desc.Digest); err != nil {
		return nil, err
	}
	return m, nil
}

// checkDigest accepts want as the payload digest or the document digest.
func checkDigest(m *Manifest, data []byte, want digest.Digest) error {
	if want == m.Digest() || want == digest.FromBytes(data) {
		return nil
	}
	return invalid("schema 1 manifest verification failed for digest %s (content has digest %s)", want, m.Digest())
}

// readManifest reads at most MaxManifestSize bytes.
func readManifest(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxManifestSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxManifestSize {
		return nil, invalid("manifest exceeds %d bytes", MaxManifestSize)
	}
	return data, nil
}
