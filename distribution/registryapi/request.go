// Package registryapi sends requests to a registry host's HTTP API (/v2/)
// for what containerd's resolver does not do itself — tag lists, login
// checks, schema 1 manifests by tag, pushes — with the host's client,
// headers and authorizer as containerd configured them, and decodes
// registry error bodies into errdefs classes with dockerd's messages.
package registryapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"

	"github.com/containerd/containerd/v2/core/remotes/docker"
	remoteerrors "github.com/containerd/containerd/v2/core/remotes/errors"
	"github.com/containerd/errdefs"
)

// MaxAuthAttempts bounds the requests Do sends while answering
// authentication challenges (containerd's resolver allows as many).
const MaxAuthAttempts = 5

// maxErrorBody bounds the error body read from a refused request.
const maxErrorBody = 64 << 10

// Request is one call to a registry host's API.
type Request struct {
	// Method is GET when empty.
	Method string
	// Path is below the host's API root ("/v2"): "/<repo>/tags/list", or
	// "/" for the root itself.
	Path  string
	Query url.Values
	// Namespace is the registry the repository belongs to ("docker.io"):
	// a host that is a mirror of it gets ?ns=<Namespace>, as containerd's
	// resolver sends.
	Namespace string
	// RawURL, when set, is the whole address instead of Path, Query and
	// Namespace (the next page of a Link header).
	RawURL string
	// Header is added to the host's headers.
	Header http.Header
	// Body opens the request body, anew for each attempt (an
	// authentication challenge resends the request); nil for none.
	Body          func() (io.ReadCloser, error)
	ContentLength int64
}

// IsMirror reports whether h serves the repositories of registry ns on its
// behalf (containerd's rule: Docker Hub's own API host is not a mirror).
func IsMirror(h docker.RegistryHost, ns string) bool {
	return ns != h.Host && (ns != "docker.io" || h.Host != "registry-1.docker.io")
}

// URL is the address r is sent to on h.
func (r Request) URL(h docker.RegistryHost) string {
	if r.RawURL != "" {
		return r.RawURL
	}
	q := url.Values{}
	for k, v := range r.Query {
		q[k] = v
	}
	if r.Namespace != "" && IsMirror(h, r.Namespace) {
		q.Set("ns", r.Namespace)
	}
	u := url.URL{Scheme: h.Scheme, Host: h.Host, Path: h.Path + r.Path, RawQuery: q.Encode()}
	return u.String()
}

// Do sends r to h and returns the answer when it is a success (2xx); the
// caller closes its body. Authentication challenges go to h's authorizer,
// which gives up (e.g. insufficient_scope twice for the same request) with
// docker.ErrInvalidAuthorization. Any other answer is an error decoded by
// StatusError. Every error names, for Endpoint, the URL last answered.
func Do(ctx context.Context, h docker.RegistryHost, r Request) (*http.Response, error) {
	target := r.URL(h)
	endpoint := target
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	client := h.Client
	if client == nil {
		client = http.DefaultClient
	}
	var challenges []*http.Response
	for attempt := 1; ; attempt++ {
		req, err := newRequest(ctx, h, r, method, target)
		if err != nil {
			return nil, endpointError{err, endpoint}
		}
		if h.Authorizer != nil {
			if err := h.Authorizer.Authorize(ctx, req); err != nil {
				return nil, endpointError{err, endpoint}
			}
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, endpointError{err, endpoint}
		}
		endpoint = effectiveURL(resp, target)
		if resp.StatusCode == http.StatusUnauthorized && h.Authorizer != nil && attempt < MaxAuthAttempts {
			challenges = append(challenges, resp)
			err := h.Authorizer.AddResponses(ctx, challenges)
			if err == nil {
				resp.Body.Close()
				continue
			}
			if !errdefs.IsNotImplemented(err) {
				resp.Body.Close()
				return nil, endpointError{err, endpoint}
			}
		}
		if resp.StatusCode/100 != 2 {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
			resp.Body.Close()
			return nil, endpointError{StatusError(remoteerrors.ErrUnexpectedStatus{
				Status: resp.Status, StatusCode: resp.StatusCode, Body: body,
				RequestURL: endpoint, RequestMethod: method,
			}), endpoint}
		}
		return resp, nil
	}
}

func newRequest(ctx context.Context, h docker.RegistryHost, r Request, method, target string) (*http.Request, error) {
	var body io.ReadCloser
	if r.Body != nil {
		b, err := r.Body()
		if err != nil {
			return nil, err
		}
		body = b
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		if body != nil {
			body.Close()
		}
		return nil, err
	}
	if r.Body != nil {
		req.ContentLength = r.ContentLength
		req.GetBody = r.Body // for redirects that keep the body (307, 308)
	}
	for k, v := range h.Header {
		req.Header[k] = append([]string(nil), v...)
	}
	for k, v := range r.Header {
		req.Header[k] = append([]string(nil), v...)
	}
	return req, nil
}

// effectiveURL is the URL resp answered, or target when unknown: after
// containerd's HTTPS-to-HTTP fallback for insecure registries, an http URL.
func effectiveURL(resp *http.Response, target string) string {
	if resp != nil && resp.Request != nil && resp.Request.URL != nil {
		return resp.Request.URL.String()
	}
	return target
}

// endpointError is an error of Do with the URL last answered.
type endpointError struct {
	err      error
	endpoint string
}

func (e endpointError) Error() string { return e.err.Error() }
func (e endpointError) Unwrap() error { return e.err }

// Endpoint is the URL last answered before Do failed with err (the request's
// own URL when nothing answered); "" for errors not from Do.
func Endpoint(err error) string {
	var e endpointError
	if errors.As(err, &e) {
		return e.endpoint
	}
	return ""
}
