// Package distribution routes GET /distribution/{name}/json: a registry
// lookup of an image's descriptor and platforms, nothing stored locally.
package distribution

import (
	"context"
	"net/http"

	"github.com/moby/moby/api/types/registry"

	"github.com/berth-dev/berth/api/server/httputils"
	"github.com/berth-dev/berth/api/server/router"
)

// Backend resolves names in registries.
type Backend interface {
	DistributionInspect(ctx context.Context, name string, auth *registry.AuthConfig) (registry.DistributionInspect, error)
}

type distributionRouter struct {
	backend Backend
}

// NewRouter returns the distribution routes.
func NewRouter(b Backend) router.Router {
	return &distributionRouter{backend: b}
}

func (dr *distributionRouter) Routes() []router.Route {
	return []router.Route{
		router.NewRoute("GET", "/distribution/{name:.*}/json", dr.getDistributionInfo),
	}
}

func (dr *distributionRouter) getDistributionInfo(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	// As for pulls, an X-Registry-Auth that does not decode is ignored.
	resp, err := dr.backend.DistributionInspect(ctx, vars["name"], httputils.DecodeAuth(r.Header.Get("X-Registry-Auth")))
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusOK, resp)
}
