// Package image routes the /images endpoints to the image service.
package image

import (
	"github.com/berth-dev/berth/api/server/router"
)

type imageRouter struct {
	backend Backend
}

// NewRouter returns the image routes.
func NewRouter(b Backend) router.Router {
	return &imageRouter{backend: b}
}

func (ir *imageRouter) Routes() []router.Route {
	return []router.Route{
		router.NewRoute("GET", "/images/json", ir.getImagesJSON),
		router.NewRoute("POST", "/images/create", ir.postImagesCreate),
		router.NewRoute("POST", "/images/prune", ir.postImagesPrune),
		router.NewRoute("GET", "/images/search", ir.getImagesSearch),
		router.NewRoute("GET", "/images/get", ir.getImagesGet),
		router.NewRoute("POST", "/images/load", ir.postImagesLoad),
		router.NewRoute("GET", "/images/{name:.*}/get", ir.getImagesGet),
		router.NewRoute("GET", "/images/{name:.*}/json", ir.getImagesByName),
		router.NewRoute("GET", "/images/{name:.*}/history", ir.getImagesHistory),
		router.NewRoute("POST", "/images/{name:.*}/tag", ir.postImagesTag),
		router.NewRoute("POST", "/images/{name:.*}/push", ir.postImagesPush),
		router.NewRoute("DELETE", "/images/{name:.*}", ir.deleteImages),
	}
}
