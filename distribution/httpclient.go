package distribution

import (
	"crypto/tls"
	"net/http"
	"sync"
)

// Connection reuse. containerd's host configuration makes a new
// http.Transport on every call (a pull makes at least two: resolve, fetch)
// and keeps Go's default of 2 idle connections per host, fewer than the
// downloads that run at once; each pull then dials again, and a download
// finishing beside two idle ones drops its connection. berth keeps one
// transport per TLS setting for hosts without a hosts.toml/certs.d
// directory (their TLS and dial settings are containerd's defaults, so the
// transport is the same every time) and enough idle connections per host.
// Hosts with a directory keep containerd's per-call transport, with the
// larger idle pool.

// Idle connections kept per registry host: more than any sensible
// max-concurrent-downloads (dockerd's default is 3) plus resolve and token
// requests.
const (
	idleConnsPerHost = 32
	idleConns        = 128
)

// sharedTransports holds the transports shared across pulls, by
// InsecureSkipVerify (the only TLS setting berth itself varies).
type sharedTransports struct {
	mu    sync.Mutex
	byTLS map[bool]*http.Transport
}

// updateClient is containerd's config.HostOptions.UpdateClient for host:
// it sizes the idle pool and, when share is set, replaces a default
// transport with the shared one for its TLS setting.
func (st *sharedTransports) updateClient(share bool) func(*http.Client) error {
	return func(c *http.Client) error {
		t, ok := c.Transport.(*http.Transport)
		if !ok {
			return nil
		}
		st.mu.Lock()
		defer st.mu.Unlock()
		for _, shared := range st.byTLS {
			if t == shared {
				return nil // in use: never modified again
			}
		}
		t.MaxIdleConnsPerHost = idleConnsPerHost
		t.MaxIdleConns = idleConns
		if !share {
			return nil
		}
		skip, ok := plainTLS(t.TLSClientConfig)
		if !ok {
			return nil
		}
		if shared, ok := st.byTLS[skip]; ok {
			c.Transport = shared
			return nil
		}
		if st.byTLS == nil {
			st.byTLS = map[bool]*http.Transport{}
		}
		st.byTLS[skip] = t
		return nil
	}
}

// plainTLS reports whether cfg is a default TLS configuration, but for
// InsecureSkipVerify (returned): no CAs, certificates or other settings of
// a hosts.toml.
func plainTLS(cfg *tls.Config) (skipVerify bool, ok bool) {
	if cfg == nil {
		return false, true
	}
	plain := cfg.RootCAs == nil && len(cfg.Certificates) == 0 && cfg.GetClientCertificate == nil &&
		cfg.GetCertificate == nil && cfg.ServerName == "" && cfg.MinVersion == 0 && cfg.MaxVersion == 0 &&
		len(cfg.NextProtos) == 0 && cfg.VerifyPeerCertificate == nil && cfg.VerifyConnection == nil
	return cfg.InsecureSkipVerify, plain
}
