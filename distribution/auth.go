package distribution

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	"github.com/moby/moby/api/types/registry"
)

// Docker Hub's names as clients send them in serveraddress.
const (
	indexServer = "https://index.docker.io/v1/"
	hubHost     = "docker.io"
)

// credentials returns the credential callback for containerd's authorizer.
// They are given only to cfgHost, the host the auth config names (or the
// pulled reference's registry when it names none), as dockerd: an identity
// token is a refresh token (empty username).
func credentials(auth *registry.AuthConfig, cfgHost string) func(host string) (string, string, error) {
	return func(host string) (string, string, error) {
		if auth == nil {
			return "", "", nil
		}
		if cfgHost != normalizeHost(host) {
			log.L.WithFields(log.Fields{"host": host, "cfgHost": cfgHost}).Debug("not sending credentials for another host")
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

// configHost is the registry host credentials of auth belong to: the one it
// names, else refHost (the registry of the reference being pulled).
func configHost(auth *registry.AuthConfig, refHost string) string {
	if auth != nil {
		if h := authHost(auth); h != "" {
			return h
		}
	}
	return normalizeHost(refHost)
}

// bearerAuthorizer sends a registry token as "Authorization: Bearer" to its
// host only, and never answers a challenge: a refused token is final, as
// with dockerd.
type bearerAuthorizer struct {
	host, token string
}

func (a bearerAuthorizer) Authorize(ctx context.Context, req *http.Request) error {
	if normalizeHost(req.URL.Host) != a.host {
		log.G(ctx).WithFields(log.Fields{"host": req.URL.Host, "cfgHost": a.host}).Debug("not sending the registry token to another host")
		return nil
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	return nil
}

func (a bearerAuthorizer) AddResponses(context.Context, []*http.Response) error {
	return errdefs.ErrNotImplemented
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
