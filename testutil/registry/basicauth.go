package registry

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/distribution/distribution/v3/configuration"
	"golang.org/x/crypto/bcrypt"
)

// BasicAuth configures htpasswd basic auth: every /v2/ request, pull
// included, needs one of the listed credentials.
type BasicAuth struct {
	// Users maps user names to plain-text passwords; they are hashed
	// with bcrypt into an htpasswd file.
	Users map[string]string
	// Realm is the realm in the WWW-Authenticate challenge. Default
	// "berth-test-registry".
	Realm string
}

// parameters writes the htpasswd file into dir and returns the htpasswd
// access controller options.
func (b *BasicAuth) parameters(dir string) (configuration.Parameters, error) {
	if len(b.Users) == 0 {
		return nil, fmt.Errorf("registry: BasicAuth needs at least one user")
	}
	users := make([]string, 0, len(b.Users))
	for u := range b.Users {
		if u == "" || strings.Contains(u, ":") {
			return nil, fmt.Errorf("registry: invalid basic auth user name %q", u)
		}
		users = append(users, u)
	}
	sort.Strings(users)
	var sb strings.Builder
	for _, u := range users {
		// MinCost keeps per-request verification fast; this is test code.
		hash, err := bcrypt.GenerateFromPassword([]byte(b.Users[u]), bcrypt.MinCost)
		if err != nil {
			return nil, fmt.Errorf("registry: bcrypt: %w", err)
		}
		fmt.Fprintf(&sb, "%s:%s\n", u, hash)
	}
	path := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(path, []byte(sb.String()), 0o600); err != nil {
		return nil, fmt.Errorf("registry: write htpasswd: %w", err)
	}
	realm := b.Realm
	if realm == "" {
		realm = "berth-test-registry"
	}
	return configuration.Parameters{"realm": realm, "path": path}, nil
}
