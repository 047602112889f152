// Package unsupported answers the Engine API endpoints berthd does not
// implement: listing networks, volumes and plugins answers an empty list,
// and pruning containers, networks, volumes or the build cache an empty
// report (so tools that list or prune before they act, and `docker system
// prune`, keep working); everything else in those areas, and building or
// committing, a clear 501 instead of "page not found".
package unsupported

import (
	"context"
	"net/http"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/plugin"
	"github.com/moby/moby/api/types/volume"

	"github.com/berth-dev/berth/api/server/httputils"
	"github.com/berth-dev/berth/api/server/router"
)

type unsupportedRouter struct {
	events EventLogger // may be nil
}

// NewRouter returns the unsupported routes; events, if not nil, records
// the prunes. Register it last: its patterns cover whole areas
// (/containers/…) whose served routes must match first.
func NewRouter(events EventLogger) router.Router { return unsupportedRouter{events: events} }

// areas are API areas berthd does not serve, by path prefix.
// what is the subject and verb of the 501 message.
var areas = []struct{ prefix, what string }{
	{"/containers", "containers are"},
	{"/exec", "containers are"},
	{"/networks", "networks are"},
	{"/volumes", "volumes are"},
	{"/plugins", "plugins are"},
	{"/swarm", "swarm mode is"},
	{"/nodes", "swarm mode is"},
	{"/services", "swarm mode is"},
	{"/tasks", "swarm mode is"},
	{"/secrets", "swarm mode is"},
	{"/configs", "swarm mode is"},
}

var methods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete}

func (u unsupportedRouter) Routes() []router.Route {
	out := append(u.pruneRoutes(),
		router.NewRoute("GET", "/networks", list([]network.Summary{})),
		router.NewRoute("GET", "/volumes", list(volume.ListResponse{Volumes: []volume.Volume{}, Warnings: []string{}})),
		router.NewRoute("GET", "/plugins", list(plugin.ListResponse{})),
	)
	features := []struct{ method, path, what string }{
		{"POST", "/build", "building images"},
		{"POST", "/build/cancel", "building images"},
		{"POST", "/session", "building images"}, // BuildKit's session and gRPC endpoints
		{"POST", "/grpc", "building images"},
		{"POST", "/commit", "committing containers"},
	}
	for _, f := range features {
		out = append(out, router.NewRoute(f.method, f.path, refuse(f.what+" is not supported by berthd yet")))
	}
	for _, a := range areas {
		for _, m := range methods {
			out = append(out,
				router.NewRoute(m, a.prefix, refuse(a.what+" not supported by berthd yet: it is an image daemon")),
				router.NewRoute(m, a.prefix+"/{rest:.*}", refuse(a.what+" not supported by berthd yet: it is an image daemon")))
		}
	}
	return out
}

func refuse(msg string) router.HandlerFunc {
	return func(context.Context, http.ResponseWriter, *http.Request, map[string]string) error {
		return errdefs.ErrNotImplemented.WithMessage(msg)
	}
}

func list(empty any) router.HandlerFunc {
	return func(_ context.Context, w http.ResponseWriter, _ *http.Request, _ map[string]string) error {
		return httputils.WriteJSON(w, http.StatusOK, empty)
	}
}
