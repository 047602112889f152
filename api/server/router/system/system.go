// Package system routes /_ping, /version, /info, /events, /auth and
// /system/df.
package system

import (
	"context"
	"net/http"

	"github.com/berth-dev/berth/api/server/httputils"
	"github.com/berth-dev/berth/api/server/router"
)

type systemRouter struct {
	backend Backend
	events  EventsBackend
	auth    AuthBackend
}

// NewRouter returns the system routes.
func NewRouter(b Backend, e EventsBackend, a AuthBackend) router.Router {
	return &systemRouter{backend: b, events: e, auth: a}
}

func (s *systemRouter) Routes() []router.Route {
	return []router.Route{
		router.NewRoute("GET", "/_ping", s.ping),
		router.NewRoute("HEAD", "/_ping", s.ping),
		router.NewRoute("GET", "/version", s.version),
		router.NewRoute("GET", "/info", s.info),
		router.NewRoute("GET", "/events", s.getEvents),
		router.NewRoute("POST", "/auth", s.postAuth),
		router.NewRoute("GET", "/system/df", s.getDiskUsage),
	}
}

func (s *systemRouter) ping(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	h := w.Header()
	h.Set("Cache-Control", "no-cache, no-store, must-revalidate")
	h.Set("Pragma", "no-cache")
	h.Set("Docker-Experimental", "false")
	h.Set("Builder-Version", "2")
	h.Set("Swarm", "inactive")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	if r.Method == http.MethodHead {
		h.Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		return nil
	}
	w.WriteHeader(http.StatusOK)
	_, err := w.Write([]byte("OK"))
	return err
}

func (s *systemRouter) version(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	return httputils.WriteJSON(w, http.StatusOK, s.backend.SystemVersion(ctx))
}

func (s *systemRouter) info(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	info, err := s.backend.SystemInfo(ctx)
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusOK, infoResponse(httputils.VersionFromContext(ctx), info))
}
