// Package router defines the routes each API area registers with the server.
package router

import (
	"context"
	"net/http"
)

// HandlerFunc handles one API request. vars holds the path parameters.
// Returning an error lets the server write it with the status of its class.
type HandlerFunc func(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error

// Route is one method and path pattern. A pattern segment "{name}" matches one
// path segment; "{name:.*}" matches one or more segments, so image names with
// slashes ("docker.io/library/alpine:latest") fit in "/images/{name:.*}/json".
type Route struct {
	Method  string
	Path    string
	Handler HandlerFunc
}

// Router is an API area (system, image, container, …).
type Router interface {
	Routes() []Route
}

// NewRoute is a convenience constructor.
func NewRoute(method, path string, h HandlerFunc) Route {
	return Route{Method: method, Path: path, Handler: h}
}
