package httputils

import (
	"encoding/base64"
	"encoding/json"

	"github.com/moby/moby/api/types/registry"
)

// DecodeAuth decodes X-Registry-Auth (nil when absent). Errors are ignored,
// as dockerd does for pulls, pushes and distribution inspects: the request
// then goes on anonymously.
func DecodeAuth(header string) *registry.AuthConfig {
	if header == "" {
		return nil
	}
	data, err := base64.URLEncoding.DecodeString(header)
	if err != nil {
		if data, err = base64.RawURLEncoding.DecodeString(header); err != nil {
			if data, err = base64.StdEncoding.DecodeString(header); err != nil {
				return nil
			}
		}
	}
	var ac registry.AuthConfig
	if err := json.Unmarshal(data, &ac); err != nil {
		return nil
	}
	return &ac
}
