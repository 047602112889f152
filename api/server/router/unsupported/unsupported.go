// Package unsupported answers Engine API endpoints berthd does not implement
// with a clear 501, so `docker push` and friends say what is
// missing instead of "page not found".
package unsupported

import (
	"context"
	"net/http"

	"github.com/containerd/errdefs"

	"github.com/berth-dev/berth/api/server/router"
)

type unsupportedRouter struct{}

// NewRouter returns the unsupported routes.
func NewRouter() router.Router { return unsupportedRouter{} }

func (unsupportedRouter) Routes() []router.Route {
	routes := []struct{ method, path, what string }{
		{"POST", "/images/{name:.*}/push", "pushing images"},
		{"GET", "/images/search", "searching registries"},
		{"POST", "/build", "building images"},
		{"POST", "/commit", "committing containers"},
		{"GET", "/system/df", "disk usage reports"},
	}
	out := make([]router.Route, 0, len(routes))
	for _, r := range routes {
		out = append(out, router.NewRoute(r.method, r.path, refuse(r.what)))
	}
	return out
}

func refuse(what string) router.HandlerFunc {
	return func(context.Context, http.ResponseWriter, *http.Request, map[string]string) error {
		return errdefs.ErrNotImplemented.WithMessage(what + " is not supported by berthd yet")
	}
}
