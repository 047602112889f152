// Package server is berthd's Engine API HTTP server: version handling,
// routing, error bodies and panic recovery. Handlers live in router/*.
package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/containerd/errdefs"
	"github.com/containerd/log"

	"github.com/berth-dev/berth/api/server/httputils"
	"github.com/berth-dev/berth/api/server/router"
)

// Connection timeouts of the API server. There is no read or write timeout:
// pulls, event streams and image loads run as long as they need.
const (
	// DefaultIdleTimeout closes a keep-alive connection left idle this long.
	DefaultIdleTimeout = 2 * time.Minute
	// DefaultReadHeaderTimeout bounds the wait for a request's headers.
	DefaultReadHeaderTimeout = 30 * time.Second
)

// Config is what the server needs to know about the daemon.
type Config struct {
	Version string // berth's version, shown in the Server header
	// MinAPIVersion is the oldest API version served (ValidateMinAPIVersion);
	// DefaultMinAPIVersion when empty.
	MinAPIVersion string
	// IdleTimeout and ReadHeaderTimeout override DefaultIdleTimeout and
	// DefaultReadHeaderTimeout when non-zero.
	IdleTimeout       time.Duration
	ReadHeaderTimeout time.Duration
}

// Server serves the Engine API on any number of listeners.
type Server struct {
	cfg  Config
	mux  mux
	http *http.Server
}

// New builds a server with the given routers.
func New(cfg Config, routers ...router.Router) *Server {
	cfg.MinAPIVersion = cmp.Or(cfg.MinAPIVersion, DefaultMinAPIVersion)
	s := &Server{cfg: cfg}
	for _, r := range routers {
		for _, rt := range r.Routes() {
			s.mux.add(rt)
		}
	}
	s.http = &http.Server{
		Handler:           s,
		IdleTimeout:       cmp.Or(cfg.IdleTimeout, DefaultIdleTimeout),
		ReadHeaderTimeout: cmp.Or(cfg.ReadHeaderTimeout, DefaultReadHeaderTimeout),
	}
	return s
}

// Serve accepts connections on l until Shutdown; it returns nil after a
// graceful shutdown.
func (s *Server) Serve(l net.Listener) error {
	if err := s.http.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops accepting connections and waits for in-flight requests
// until ctx ends; then it closes what is left.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.http.Shutdown(ctx)
	if err != nil {
		s.http.Close()
	}
	return err
}

// ServeHTTP is the whole middleware chain: headers, version, routing,
// panic recovery and error bodies.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Server", fmt.Sprintf("Docker/%s (%s)", s.cfg.Version, runtime.GOOS))
	w.Header().Set("Api-Version", MaxAPIVersion)
	w.Header().Set("Ostype", runtime.GOOS)

	version, path := splitVersion(r.URL.Path)
	if version == "" {
		version = MaxAPIVersion
	} else if err := checkVersion(version, s.cfg.MinAPIVersion); err != nil {
		httputils.WriteError(w, err)
		return
	}
	route, vars, ok := s.mux.lookup(r.Method, path)
	if !ok {
		httputils.WriteError(w, errdefs.ErrNotFound.WithMessage("page not found"))
		return
	}
	ctx := WithAPIVersion(r.Context(), version)
	rw := &trackingWriter{ResponseWriter: w}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			log.G(ctx).WithField("panic", p).Errorf("handler for %s %s panicked\n%s", r.Method, r.URL.Path, debug.Stack())
			if !rw.wrote {
				httputils.WriteError(w, errdefs.ErrInternal.WithMessage(fmt.Sprintf("internal server error: %v", p)))
			}
		}
	}()
	if err := httputils.ParseForm(r); err != nil {
		httputils.WriteError(w, err)
		return
	}
	if err := route.Handler(ctx, rw, r.WithContext(ctx), vars); err != nil {
		status := httputils.StatusFromError(err)
		logger := log.G(ctx).WithError(err).WithField("status", status)
		if status >= 500 {
			logger.Errorf("handler for %s %s returned error", r.Method, r.URL.Path)
		} else {
			logger.Debugf("handler for %s %s returned error", r.Method, r.URL.Path)
		}
		if rw.wrote {
			return // a stream already began; the handler reported in-band
		}
		httputils.WriteError(w, err)
	}
}

// trackingWriter remembers whether the handler started the response.
type trackingWriter struct {
	http.ResponseWriter
	wrote bool
}

func (t *trackingWriter) WriteHeader(code int) {
	t.wrote = true
	t.ResponseWriter.WriteHeader(code)
}

func (t *trackingWriter) Write(b []byte) (int, error) {
	t.wrote = true
	return t.ResponseWriter.Write(b)
}

func (t *trackingWriter) Flush() {
	t.wrote = true
	if f, ok := t.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the real writer.
func (t *trackingWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }
