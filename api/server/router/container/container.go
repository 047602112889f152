// Package container routes the few /containers endpoints berthd answers
// until it runs containers: create checks the image (so `docker run` pulls a
// missing one), then says plainly that containers are not supported.
package container

import (
	"context"
	"net/http"

	"github.com/containerd/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/api/server/httputils"
	"github.com/berth-dev/berth/api/server/router"
)

// Backend is what the container routes need from the image service.
type Backend interface {
	// ImageForContainer returns nil when the image exists (for the platform,
	// if given), or dockerd's "No such image: <ref>" not-found error.
	ImageForContainer(ctx context.Context, name string, platform *ocispec.Platform) error
}

type containerRouter struct {
	backend Backend
}

// NewRouter returns the container routes.
func NewRouter(b Backend) router.Router {
	return &containerRouter{backend: b}
}

func (cr *containerRouter) Routes() []router.Route {
	return []router.Route{
		router.NewRoute("GET", "/containers/json", cr.list),
		router.NewRoute("POST", "/containers/create", cr.create),
	}
}

func (cr *containerRouter) list(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	return httputils.WriteJSON(w, http.StatusOK, []struct{}{})
}

func (cr *containerRouter) create(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	var body struct {
		Image string
	}
	if err := httputils.ReadJSON(w, r, &body); err != nil {
		return err
	}
	if body.Image == "" {
		return errdefs.ErrInvalidArgument.WithMessage("config cannot be empty in order to create a container")
	}
	platform, err := httputils.DecodePlatform(r.Form["platform"])
	if err != nil {
		return err
	}
	if err := cr.backend.ImageForContainer(ctx, body.Image, platform); err != nil {
		return err
	}
	return errdefs.ErrNotImplemented.WithMessage("containers are not supported by berthd yet: it is an image daemon (pull, push, images, rmi, tag, inspect, history, prune, save, load, import, events)")
}
