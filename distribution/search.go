package distribution

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/registry"
)

// officialIndex is where dockerd sends Docker Hub searches.
const officialIndex = "https://index.docker.io/v1/"

// defaultSearchLimit is dockerd's number of results when none is asked.
const defaultSearchLimit = 25

// Search runs a registry search as dockerd does: the term's registry part
// picks the index ("ubuntu" and "team/app" search Docker Hub,
// "host:5000/app" searches host:5000), then GET <index>/v1/search?q=…&n=….
// Bad input is refused before anything goes on the network.
func (r *Registries) Search(ctx context.Context, auth *registry.AuthConfig, term string, limit int, meta http.Header) (*registry.SearchResults, error) {
	if strings.Contains(term, "://") {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid repository name: repository name (%s) should not have a scheme", term))
	}
	if limit == 0 {
		limit = defaultSearchLimit
	}
	if limit < 1 || limit > 100 {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("limit %d is outside the range of [1, 100]", limit))
	}
	host, remote := splitSearchTerm(term)
	endpoint := officialIndex
	client := http.DefaultClient
	if host != "docker.io" {
		hosts, err := r.hosts(ctx, auth)(host)
		if err != nil {
			return nil, err
		}
		scheme := "https"
		for _, h := range hosts {
			if h.Host == host {
				scheme = h.Scheme
				if h.Client != nil {
					client = h.Client
				}
			}
		}
		endpoint = scheme + "://" + host + "/v1/"
	} else {
		remote = strings.TrimPrefix(remote, "library/")
	}
	u := endpoint + "search?q=" + url.QueryEscape(remote) + "&n=" + strconv.Itoa(limit)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, http.NoBody)
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage("error building request: " + err.Error())
	}
	for k, v := range meta {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", r.cfg.UserAgent)
	req.Header.Set("X-Docker-Token", "true")
	if auth != nil && auth.Username != "" {
		req.SetBasicAuth(auth.Username, auth.Password)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, errdefs.ErrInternal.WithMessage(err.Error())
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, errdefs.ErrUnknown.WithMessage(fmt.Sprintf("unexpected status code %d", resp.StatusCode))
	}
	var res registry.SearchResults
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		return nil, errdefs.ErrInternal.WithMessage("error decoding registry search results: " + err.Error())
	}
	return &res, nil
}

// splitSearchTerm splits a search term into registry host and remote name,
// the way dockerd reads search terms.
func splitSearchTerm(term string) (host, remote string) {
	first, rest, ok := strings.Cut(term, "/")
	if !ok || (!strings.ContainsAny(first, ".:") && first != "localhost") {
		return "docker.io", term
	}
	if first == "index.docker.io" || first == "registry-1.docker.io" {
		return "docker.io", rest
	}
	return first, rest
}
