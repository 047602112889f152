package distribution

import (
	"encoding/base64"
	"strings"

	"github.com/containerd/log"
	"github.com/moby/moby/api/types/registry"
)

// Docker Hub's names as clients send them in serveraddress.
const (
	indexServer = "https://index.docker.io/v1/"
	hubHost     = "docker.io"
)

// credentials returns the credential callback for containerd's authorizer.
// They are given only to the host the auth config names (or any host when it
// names none): an identity token is a refresh token (empty username).
func credentials(auth *registry.AuthConfig) func(host string) (string, string, error) {
	return func(host string) (string, string, error) {
		if auth == nil {
			return "", "", nil
		}
		if cfgHost := authHost(auth); cfgHost != "" && cfgHost != normalizeHost(host) {
			log.L.WithField("host", host).Debug("not sending credentials for another host")
			return "", "", nil
		}
		if auth.IdentityToken != "" {
			return "", auth.IdentityToken, nil
		}
		user, pass := auth.Username, auth.Password
		if user == "" && pass == "" && auth.Auth != "" {
			if raw, err := base64.StdEncoding.DecodeString(auth.Auth); err == nil {
				user, pass, _ = strings.Cut(string(raw), ":")
			}
		}
		return user, pass, nil
	}
}

// bearerToken is a registry token to send as "Authorization: Bearer" to host.
func bearerToken(auth *registry.AuthConfig, host string) string {
	if auth == nil || auth.RegistryToken == "" {
		return ""
	}
	if cfgHost := authHost(auth); cfgHost != "" && cfgHost != normalizeHost(host) {
		return ""
	}
	return auth.RegistryToken
}

// authHost is the registry host an auth config is for ("" = unspecified).
func authHost(auth *registry.AuthConfig) string {
	s := auth.ServerAddress
	if s == "" {
		return ""
	}
	if s == indexServer {
		return hubHost
	}
	s = strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://")
	s, _, _ = strings.Cut(s, "/")
	return normalizeHost(s)
}

func normalizeHost(h string) string {
	switch h {
	case "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com":
		return hubHost
	}
	return h
}
