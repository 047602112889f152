// Package debug serves dockerd's debugging endpoints, /debug/vars and
// /debug/pprof/*, while the daemon runs with debug enabled (--debug or
// "debug": true, also after a reload); otherwise they do not exist (404).
package debug

import (
	"context"
	"expvar"
	"net/http"
	"net/http/pprof"

	"github.com/containerd/errdefs"

	"github.com/berth-dev/berth/api/server/router"
)

type debugRouter struct {
	enabled func() bool
}

// NewRouter returns the debug routes; enabled tells whether debug is on.
func NewRouter(enabled func() bool) router.Router { return debugRouter{enabled: enabled} }

func (r debugRouter) Routes() []router.Route {
	return []router.Route{
		router.NewRoute(http.MethodGet, "/debug/vars", r.serve(expvar.Handler())),
		router.NewRoute(http.MethodGet, "/debug/pprof/", r.serve(http.HandlerFunc(pprof.Index))),
		router.NewRoute(http.MethodGet, "/debug/pprof/cmdline", r.serve(http.HandlerFunc(pprof.Cmdline))),
		router.NewRoute(http.MethodGet, "/debug/pprof/profile", r.serve(http.HandlerFunc(pprof.Profile))),
		router.NewRoute(http.MethodGet, "/debug/pprof/symbol", r.serve(http.HandlerFunc(pprof.Symbol))),
		router.NewRoute(http.MethodPost, "/debug/pprof/symbol", r.serve(http.HandlerFunc(pprof.Symbol))),
		router.NewRoute(http.MethodGet, "/debug/pprof/trace", r.serve(http.HandlerFunc(pprof.Trace))),
		router.NewRoute(http.MethodGet, "/debug/pprof/{name}", r.profile),
	}
}

func (r debugRouter) serve(h http.Handler) router.HandlerFunc {
	return func(_ context.Context, w http.ResponseWriter, req *http.Request, _ map[string]string) error {
		if !r.enabled() {
			return errdefs.ErrNotFound.WithMessage("page not found")
		}
		h.ServeHTTP(w, req)
		return nil
	}
}

// profile serves a named runtime profile (heap, goroutine, allocs, …).
func (r debugRouter) profile(ctx context.Context, w http.ResponseWriter, req *http.Request, vars map[string]string) error {
	return r.serve(pprof.Handler(vars["name"]))(ctx, w, req, vars)
}
