package schema1

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/containerd/v2/pkg/reference"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
)

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

	var firstErr error
	for _, h := range all {
		if h.Capabilities&capability == 0 {
			continue
		}
		data, mediaType, err := getManifest(ctx, h, registryHost, repo, object)
		if err != nil {
			log.G(ctx).WithError(err).WithField("host", h.Host).Debug("schema1: manifest fetch failed")
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if !IsSchema1(mediaType) {
			mediaType = "" // let Parse judge the content
		}
		m, _, err := Parse(data, mediaType)
		if err != nil {
			return nil, err
		}
		if d := spec.Digest(); d != "" {
			if err := checkDigest(m, data, d); err != nil {
				return nil, err
			}
		}
		return m, nil
	}
	if firstErr == nil {
		firstErr = fmt.Errorf("%s: no host to fetch the manifest from: %w", ref, errdefs.ErrNotFound)
	}
	return nil, firstErr
}

// getManifest GETs /v2/<repo>/manifests/<object> from h, answering one
// authentication challenge through h's authorizer.
func getManifest(ctx context.Context, h docker.RegistryHost, registryHost, repo, object string) ([]byte, string, error) {
	u := url.URL{Scheme: h.Scheme, Host: h.Host, Path: path.Join("/", h.Path, repo, "manifests", object)}
	if registryHost != h.Host && (registryHost != "docker.io" || h.Host != "registry-1.docker.io") {
		u.RawQuery = url.Values{"ns": {registryHost}}.Encode() // a mirror
	}
	client := h.Client
	if client == nil {
		client = http.DefaultClient
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, "", err
		}
		for k, v := range h.Header {
			req.Header[k] = append([]string(nil), v...)
		}
		req.Header.Set("Accept", ResolveAccept)
		if h.Authorizer != nil {
			if err := h.Authorizer.Authorize(ctx, req); err != nil {
				return nil, "", err
			}
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, "", err
		}
		if resp.StatusCode == http.StatusUnauthorized && h.Authorizer != nil && attempt < 2 {
			err := h.Authorizer.AddResponses(ctx, []*http.Response{resp})
			resp.Body.Close()
			if err != nil {
				if errors.Is(err, errdefs.ErrNotImplemented) {
					return nil, "", fmt.Errorf("%s: %s: %w", u.Redacted(), resp.Status, docker.ErrInvalidAuthorization)
				}
				return nil, "", err
			}
			continue
		}
		defer resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusNotFound:
			return nil, "", fmt.Errorf("%s: %w", u.Redacted(), errdefs.ErrNotFound)
		case resp.StatusCode == http.StatusUnauthorized:
			return nil, "", fmt.Errorf("%s: %s: %w", u.Redacted(), resp.Status, docker.ErrInvalidAuthorization)
		case resp.StatusCode != http.StatusOK:
			return nil, "", fmt.Errorf("%s: unexpected status %s", u.Redacted(), resp.Status)
		}
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
}
