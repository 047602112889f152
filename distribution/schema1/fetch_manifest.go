package schema1

// Fetching schema 1 manifests: by digest through a containerd fetcher, or by
// reference from the hosts (the fallback after a rejected resolve).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	remoteerrors "github.com/containerd/containerd/v2/core/remotes/errors"
	"github.com/containerd/containerd/v2/pkg/reference"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/distribution/registryapi"
	"github.com/berth-dev/berth/image"
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
	if err := image.CheckManifestSize(desc); err != nil {
		return nil, err
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
		return nil, image.ErrManifestTooLarge("the schema 1 manifest", int64(len(data)))
	}
	return data, nil
}

// FetchManifestByRef GETs the manifest of ref ("host/repo:tag" or
// "host/repo@digest", as containerd resolvers take) from the hosts that
// hosts returns, with their clients, headers and authorizers (mirrors
// first, as containerd), and parses it as schema 1. It is the fallback for
// registries whose HEAD answer lacks Docker-Content-Digest, where
// containerd's Resolve rejects schema 1 (see IsSchema1Rejection). A digest
// in ref is verified; a tag is trusted, as dockerd did.
func FetchManifestByRef(ctx context.Context, hosts docker.RegistryHosts, ref string) (*Manifest, error) {
	spec, err := reference.Parse(ref)
	if err != nil {
		return nil, invalid("invalid reference %q: %v", ref, err)
	}
	object, capability := spec.Object, docker.HostCapabilityResolve
	if d := spec.Digest(); d != "" {
		object, capability = d.String(), docker.HostCapabilityPull
	}
	if object == "" {
		return nil, invalid("reference %q has no tag or digest", ref)
	}
	registryHost := spec.Hostname()
	all, err := hosts(registryHost)
	if err != nil {
		return nil, err
	}
	ctx, err = docker.ContextWithRepositoryScope(ctx, spec, false)
	if err != nil {
		return nil, err
	}
	repo := strings.TrimPrefix(spec.Locator, registryHost+"/")

	var m *Manifest
	none := fmt.Errorf("%s: no host to fetch the manifest from: %w", ref, errdefs.ErrNotFound)
	err = registryapi.OnHosts(all, capability, none, func(h docker.RegistryHost) error {
		data, mediaType, err := getManifest(ctx, h, registryHost, repo, object)
		if err != nil {
			log.G(ctx).WithError(err).WithField("host", h.Host).Debug("schema1: manifest fetch failed")
			return err
		}
		if !IsSchema1(mediaType) {
			mediaType = "" // let Parse judge the content
		}
		if m, _, err = Parse(data, mediaType); err != nil {
			return registryapi.Final(err)
		}
		if d := spec.Digest(); d != "" {
			if err := checkDigest(m, data, d); err != nil {
				return registryapi.Final(err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// getManifest GETs /v2/<repo>/manifests/<object> from h. A refused
// authorization is docker.ErrInvalidAuthorization, so that the pull says
// "pull access denied".
func getManifest(ctx context.Context, h docker.RegistryHost, registryHost, repo, object string) ([]byte, string, error) {
	resp, err := registryapi.Do(ctx, h, registryapi.Request{
		Path:      "/" + repo + "/manifests/" + object,
		Namespace: registryHost,
		Header:    http.Header{"Accept": {ResolveAccept}},
	})
	if err != nil {
		var unexpected remoteerrors.ErrUnexpectedStatus
		if errors.As(err, &unexpected) && unexpected.StatusCode == http.StatusUnauthorized {
			return nil, "", fmt.Errorf("%s: %s: %w", unexpected.RequestURL, unexpected.Status, docker.ErrInvalidAuthorization)
		}
		return nil, "", err
	}
	defer resp.Body.Close()
	data, err := readManifest(resp.Body)
	if err != nil {
		return nil, "", err
	}
	mediaType, _, _ := strings.Cut(resp.Header.Get("Content-Type"), ";")
	mediaType = strings.TrimSpace(mediaType)
	if mediaType == "text/plain" { // as containerd: such registries serve schema 1
		mediaType = MediaTypeSignedManifest
	}
	return data, mediaType, nil
}
