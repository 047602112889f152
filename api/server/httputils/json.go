package httputils

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/containerd/errdefs"
)

// MaxJSONBody bounds a JSON request body. The largest ones the Engine API
// takes (a container config, an auth config) are a few KiB; streams (image
// load and import, build contexts) are not JSON and are not limited.
const MaxJSONBody = 1 << 20

// ReadJSON decodes the JSON request body into v, reading at most
// MaxJSONBody bytes: a larger body is refused with a 400 (and the
// connection is closed once answered) instead of being buffered whole.
func ReadJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body := http.MaxBytesReader(w, r.Body, MaxJSONBody)
	if err := json.NewDecoder(body).Decode(v); err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("request body too large: JSON request bodies are limited to %d bytes", mbe.Limit))
		}
		return errdefs.ErrInvalidArgument.WithMessage("invalid JSON in request body: " + err.Error())
	}
	return nil
}
