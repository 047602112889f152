// Package httputils has the helpers every API handler shares: error status
// mapping, JSON responses, query parsing and progress streams.
package httputils

import (
	"encoding/json"
	"net/http"

	"github.com/containerd/errdefs"
	"github.com/containerd/errdefs/pkg/errhttp"
	"github.com/moby/moby/api/types/common"
)

// StatusFromError maps an error to the HTTP status of its class, as dockerd
// does: invalid argument 400, unauthorized 401, forbidden 403, not found 404,
// conflict 409, not implemented 501, unavailable 503, else 500.
func StatusFromError(err error) int {
	if errdefs.IsAlreadyExists(err) {
		return http.StatusConflict
	}
	if errdefs.IsCanceled(err) {
		return 499
	}
	return errhttp.ToHTTP(err)
}

// WriteError writes err as dockerd's JSON error body.
func WriteError(w http.ResponseWriter, err error) {
	WriteJSON(w, StatusFromError(err), common.ErrorResponse{Message: err.Error()})
}

// WriteJSON writes v as the JSON body with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
