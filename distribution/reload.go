package distribution

import (
	"net"
	"net/http"
	"slices"

	"github.com/containerd/containerd/v2/core/remotes/docker"
)

// settings are the registry options a configuration reload may change.
// A value is never modified once stored: Reconfigure replaces it whole.
type settings struct {
	insecure     []string     // host[:port] names and CIDRs, as configured
	insecureNets []*net.IPNet // the CIDRs among them
	mirrors      []string
	// transport are Config.TransportOptions followed by the reloaded
	// ones (attempts, stall timeout), which win.
	transport []TransportOption
}

// Reconfigure replaces the insecure registries, the docker.io mirrors
// (values already validated, as in Config) and the transport options given
// on top of Config.TransportOptions (max-download-attempts, the stall
// timeout). Pulls that already resolved keep the settings they started
// with; later ones use the new settings. The connection pools stay: each
// host configuration wraps them in a transport of its own (redirect.go).
func (r *Registries) Reconfigure(insecure, mirrors []string, transport ...TransportOption) {
	st := &settings{
		insecure:  slices.Clone(insecure),
		mirrors:   slices.Clone(mirrors),
		transport: append(slices.Clone(r.cfg.TransportOptions), transport...),
	}
	for _, s := range insecure {
		if _, n, err := net.ParseCIDR(s); err == nil {
			st.insecureNets = append(st.insecureNets, n)
		}
	}
	r.live.Store(st)
}

func (r *Registries) current() *settings { return r.live.Load() }

// wrapTransports applies Config.WrapTransport to each host's client.
func (r *Registries) wrapTransports(hosts []docker.RegistryHost) {
	if r.cfg.WrapTransport == nil {
		return
	}
	for i := range hosts {
		c := http.Client{}
		if hosts[i].Client != nil {
			c = *hosts[i].Client
		}
		c.Transport = r.cfg.WrapTransport(c.Transport)
		hosts[i].Client = &c
	}
}
