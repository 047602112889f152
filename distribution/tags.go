package distribution

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"

	"github.com/containerd/containerd/v2/core/remotes/docker"
	remoteerrors "github.com/containerd/containerd/v2/core/remotes/errors"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/registry"
)

// maxTagPages bounds pagination of a tag list.
const maxTagPages = 1000

var nextLink = regexp.MustCompile(`<([^>]+)>\s*;\s*rel="?next"?`)

// ListTags returns every tag of ref's repository, following pagination,
// with the same hosts, TLS and credentials as a pull.
func (r *Registries) ListTags(ctx context.Context, auth *registry.AuthConfig, ref reference.Named) ([]string, error) {
	hosts, err := r.hosts(ctx, auth)(reference.Domain(ref))
	if err != nil {
		return nil, err
	}
	ctx = docker.ContextWithAppendPullRepositoryScope(ctx, reference.Path(ref))
	var lastErr error = errdefs.ErrNotFound.WithMessage("no registry host can list tags for " + ref.Name())
	for _, h := range hosts {
		if h.Capabilities&docker.HostCapabilityResolve == 0 {
			continue
		}
		tags, err := listTagsOnHost(ctx, h, reference.Path(ref), reference.Domain(ref))
		if err == nil {
			return tags, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func listTagsOnHost(ctx context.Context, h docker.RegistryHost, repo, upstream string) ([]string, error) {
	u := url.URL{Scheme: h.Scheme, Host: h.Host, Path: h.Path + "/" + repo + "/tags/list"}
	if h.Host != upstream && upstream != "" {
		u.RawQuery = url.Values{"ns": {upstream}}.Encode()
	}
	next := u.String()
	var tags []string
	for page := 0; next != "" && page < maxTagPages; page++ {
		resp, err := doAuthorized(ctx, h, next)
		if err != nil {
			return nil, err
		}
		var body struct {
			Tags []string `json:"tags"`
		}
		err = json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&body)
		link := resp.Header.Get("Link")
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("invalid tag list from %s: %w", h.Host, err)
		}
		tags = append(tags, body.Tags...)
		next = ""
		if m := nextLink.FindStringSubmatch(link); m != nil {
			ref, err := url.Parse(m[1])
			if err != nil {
				return nil, fmt.Errorf("invalid Link header from %s: %w", h.Host, err)
			}
			base, _ := url.Parse(u.String())
			next = base.ResolveReference(ref).String()
		}
	}
	return tags, nil
}

// maxAuthAttempts bounds the requests doAuthorized sends to answer
// authentication challenges (containerd's resolver allows as many).
const maxAuthAttempts = 5

// doAuthorized sends a GET with the host's authorizer, answering
// authentication challenges as containerd's resolver does: every 401 so far
// goes to the authorizer, which gives up (e.g. insufficient_scope twice for
// the same request) with docker.ErrInvalidAuthorization.
func doAuthorized(ctx context.Context, h docker.RegistryHost, target string) (*http.Response, error) {
	resp, _, err := doAuthorizedURL(ctx, h, target)
	return resp, err
}

// doAuthorizedURL is doAuthorized that also returns the URL last sent
// (target, or its plain HTTP form after the fallback), for messages.
func doAuthorizedURL(ctx context.Context, h docker.RegistryHost, target string) (*http.Response, string, error) {
	lastURL := target
	client := h.Client
	if client == nil {
		client = http.DefaultClient
	}
	var challenges []*http.Response
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			return nil, lastURL, err
		}
		for k, v := range h.Header {
			req.Header[k] = v
		}
		if h.Authorizer != nil {
			if err := h.Authorizer.Authorize(ctx, req); err != nil {
				return nil, lastURL, err
			}
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, lastURL, err
		}
		lastURL = effectiveURL(resp, target)
		if resp.StatusCode == http.StatusUnauthorized && h.Authorizer != nil && attempt < maxAuthAttempts {
			challenges = append(challenges, resp)
			err := h.Authorizer.AddResponses(ctx, challenges)
			if err == nil {
				resp.Body.Close()
				continue
			}
			if !errdefs.IsNotImplemented(err) {
				resp.Body.Close()
				return nil, lastURL, err
			}
		}
		if resp.StatusCode/100 != 2 {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			return nil, lastURL, translateRegistryError(remoteerrors.ErrUnexpectedStatus{
				Status: resp.Status, StatusCode: resp.StatusCode, Body: body,
				RequestURL: lastURL, RequestMethod: http.MethodGet,
			})
		}
		return resp, lastURL, nil
	}
}

// effectiveURL is the URL resp answered, or target when unknown: after
// containerd's HTTPS-to-HTTP fallback for insecure registries, an http URL.
func effectiveURL(resp *http.Response, target string) string {
	if resp != nil && resp.Request != nil && resp.Request.URL != nil {
		return resp.Request.URL.String()
	}
	return target
}
