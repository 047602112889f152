package distribution

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"regexp"

	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/registry"

	"github.com/berth-dev/berth/distribution/registryapi"
)

// maxTagPages bounds pagination of a tag list.
const maxTagPages = 1000

// maxTagList bounds one page of a tag list.
const maxTagList = 64 << 20

var nextLink = regexp.MustCompile(`<([^>]+)>\s*;\s*rel="?next"?`)

// ListTags returns every tag of ref's repository, following pagination,
// with the same hosts, TLS and credentials as a pull.
func (r *Registries) ListTags(ctx context.Context, auth *registry.AuthConfig, ref reference.Named) ([]string, error) {
	hosts, err := r.hosts(ctx, auth)(reference.Domain(ref))
	if err != nil {
		return nil, err
	}
	ctx = docker.ContextWithAppendPullRepositoryScope(ctx, reference.Path(ref))
	var tags []string
	none := errdefs.ErrNotFound.WithMessage("no registry host can list tags for " + ref.Name())
	err = registryapi.OnHosts(hosts, docker.HostCapabilityResolve, none, func(h docker.RegistryHost) error {
		var err error
		tags, err = listTagsOnHost(ctx, h, reference.Path(ref), reference.Domain(ref))
		return err
	})
	if err != nil {
		return nil, err
	}
	return tags, nil
}

func listTagsOnHost(ctx context.Context, h docker.RegistryHost, repo, upstream string) ([]string, error) {
	req := registryapi.Request{Path: "/" + repo + "/tags/list", Namespace: upstream}
	base, err := url.Parse(req.URL(h))
	if err != nil {
		return nil, err
	}
	var tags []string
	for page := 0; page < maxTagPages; page++ {
		resp, err := registryapi.Do(ctx, h, req)
		if err != nil {
			return nil, err
		}
		var body struct {
			Tags []string `json:"tags"`
		}
		err = json.NewDecoder(io.LimitReader(resp.Body, maxTagList)).Decode(&body)
		link := resp.Header.Get("Link")
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("invalid tag list from %s: %w", h.Host, err)
		}
		tags = append(tags, body.Tags...)
		m := nextLink.FindStringSubmatch(link)
		if m == nil {
			break
		}
		next, err := url.Parse(m[1])
		if err != nil {
			return nil, fmt.Errorf("invalid Link header from %s: %w", h.Host, err)
		}
		req = registryapi.Request{RawURL: base.ResolveReference(next).String()}
	}
	return tags, nil
}
