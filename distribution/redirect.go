package distribution

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// maxRedirects is how many redirects a registry request may follow, as
// containerd's resolver allows.
const maxRedirects = 10

// checkRedirect is the registry clients' redirect policy: credentials never
// leave the origin (scheme, host and port) they were given for. Go's client
// keeps Authorization on a redirect to the same host name on another port,
// and containerd's policy re-authorizes every hop; a registry sending blob
// downloads to storage or a CDN elsewhere gets them without the header.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return errors.New("stopped after 10 redirects")
	}
	if !sameOrigin(req.URL, via[0].URL) {
		req.Header.Del("Authorization")
		req.Header.Del("Cookie")
	}
	return nil
}

// sameOrigin compares scheme, host and port (the default port of the
// scheme when none is given).
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) &&
		port(a) == port(b)
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	return ""
}

// updateClient makes a registry host's HTTP client berth's: a shared connection
// pool (share: no hosts.toml or certs directory for the host), the redirect
// policy above and the fault-tolerant transport, with the options of live.
func (r *Registries) updateClient(share bool, live *settings) func(*http.Client) error {
	pool := r.transports.updateClient(share)
	return func(c *http.Client) error {
		// The connection pool first (it swaps in a shared *http.Transport),
		// then the wrappers: credentials stay home on redirects, blob
		// bodies resume.
		if err := pool(c); err != nil {
			return err
		}
		c.CheckRedirect = checkRedirect
		c.Transport = NewTransport(c.Transport, live.transport...)
		return nil
	}
}
