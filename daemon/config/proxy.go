package config

import (
	"net/url"
	"os"
)

// The proxy options are dockerd's (daemon.json "proxies", or --http-proxy,
// --https-proxy, --no-proxy): the daemon's own HTTP requests (registries,
// token servers, `docker import URL`) go through them. As dockerd does,
// they are applied as the process's proxy environment at start-up, so
// every client of Go's proxy-from-environment sees them alike.

// ProxyEnv lists the environment variables the proxy options set (both
// spellings, as dockerd), with their values; options left empty set none.
func (c *Config) ProxyEnv() [][2]string {
	var env [][2]string
	for _, p := range []struct{ value, upper, lower string }{
		{c.HTTPProxy, "HTTP_PROXY", "http_proxy"},
		{c.HTTPSProxy, "HTTPS_PROXY", "https_proxy"},
		{c.NoProxy, "NO_PROXY", "no_proxy"},
	} {
		if p.value != "" {
			env = append(env, [2]string{p.upper, p.value}, [2]string{p.lower, p.value})
		}
	}
	return env
}

// ProxySetting is a proxy setting in effect, read from the environment
// (which ProxyEnv's values were applied to) as upper- then lower-case
// name; for docker info.
func ProxySetting(upper, lower string) string {
	if v := os.Getenv(upper); v != "" {
		return v
	}
	return os.Getenv(lower)
}

// MaskCredentials hides the user and password of a proxy URL, as docker
// info shows them: http://xxxxx:xxxxx@proxy:3128.
func MaskCredentials(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	u.User = url.UserPassword("xxxxx", "xxxxx")
	return u.String()
}
