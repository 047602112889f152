package httputils

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/containerd/errdefs"
)

// BoolValue reads a boolean query parameter the way dockerd does: empty,
// "0", "no", "false" and "none" are false, anything else true.
func BoolValue(r *http.Request, k string) bool {
	switch strings.ToLower(strings.TrimSpace(r.Form.Get(k))) {
	case "", "0", "no", "false", "none":
		return false
	}
	return true
}

// ParseForm parses the query and form, turning failures into 400s.
func ParseForm(r *http.Request) error {
	if r == nil {
		return nil
	}
	if err := r.ParseForm(); err != nil && !strings.HasPrefix(err.Error(), "mime:") {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid request: %v", err))
	}
	return nil
}
