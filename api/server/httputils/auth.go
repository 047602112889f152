package httputils

import (
	"github.com/moby/moby/api/pkg/authconfig"
	"github.com/moby/moby/api/types/registry"
)

// DecodeAuth decodes the X-Registry-Auth header value (registry.AuthHeader).
// Errors are ignored, as dockerd does for pulls and pushes: an absent, empty
// or undecodable header means anonymous (nil).
func DecodeAuth(header string) *registry.AuthConfig {
	ac, err := authconfig.Decode(header)
	if err != nil || ac == nil || *ac == (registry.AuthConfig{}) {
		return nil
	}
	return ac
}
