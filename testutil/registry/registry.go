// Package registry runs a real Docker/OCI distribution registry
// (github.com/distribution/distribution/v3) in process, on 127.0.0.1 over
// plain HTTP, for integration tests and the demo.
//
// Besides the registry itself it offers:
//   - htpasswd basic auth or bearer-token auth with a small in-process token
//     issuer (see BasicAuth, TokenAuth);
//   - a request log (Requests, Count, FetchedBlobs) to assert what a client
//     fetched;
//   - fault injection (Inject, FailPath, CorruptBlob, StallBlob);
//   - a table of raw manifests served in front of the registry
//     (ServeManifest), for content the registry refuses to store, such as
//     schema 1 manifests.
//
// Registry logging (logrus) is silenced unless BERTH_TEST_REGISTRY_LOG is set.
package registry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/auth"
	"github.com/distribution/distribution/v3/registry/handlers"

	// Storage drivers and access controllers register themselves in init.
	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd"
	_ "github.com/distribution/distribution/v3/registry/auth/token"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory"
)

// Config configures a Registry. The zero value is an anonymous, in-memory
// registry on a random 127.0.0.1 port.
type Config struct {
	// Addr is the TCP address to listen on. Default "127.0.0.1:0".
	Addr string
	// RootDir selects the filesystem storage driver rooted at this
	// directory. Empty means in-memory storage, discarded on Close.
	RootDir string
	// BasicAuth protects the /v2/ API with htpasswd basic auth.
	BasicAuth *BasicAuth
	// TokenAuth protects the /v2/ API with bearer tokens issued by an
	// in-process token server on the same listener (see TokenPath).
	// BasicAuth and TokenAuth are mutually exclusive.
	TokenAuth *TokenAuth
	// BlobRate limits each blob download to this many bytes per second
	// (0: unlimited).
	BlobRate int64
	// UploadRate limits each blob upload request body to this many bytes
	// per second (0: unlimited).
	UploadRate int64
}

// Option adjusts a Config; see Start.
type Option func(*Config)

// WithAddr sets the listen address.
func WithAddr(addr string) Option { return func(c *Config) { c.Addr = addr } }

// WithStorageDir stores content on disk under dir instead of in memory.
func WithStorageDir(dir string) Option { return func(c *Config) { c.RootDir = dir } }

// WithBlobRates limits each blob download and each blob upload to these
// many bytes per second (0: unlimited).
func WithBlobRates(download, upload int64) Option {
	return func(c *Config) { c.BlobRate, c.UploadRate = download, upload }
}

// WithBasicAuth requires HTTP basic auth with the given credentials.
func WithBasicAuth(user, password string) Option {
	return func(c *Config) {
		c.BasicAuth = &BasicAuth{Users: map[string]string{user: password}}
	}
}

// WithTokenAuth requires bearer tokens; the token issuer accepts the given
// credentials and treats anonymous callers according to anon.
func WithTokenAuth(user, password string, anon AnonymousPolicy) Option {
	return func(c *Config) {
		c.TokenAuth = &TokenAuth{Users: map[string]string{user: password}, Anonymous: anon}
	}
}

// Registry is a running in-process registry.
type Registry struct {
	host      string
	listener  net.Listener
	server    *http.Server
	app       *handlers.App
	tmpDir    string
	issuer    *tokenIssuer
	access    auth.AccessController
	requests  *requestLog
	faults    *faultSet
	manifests *manifestTable
	serveErr  chan error
	closeOnce sync.Once
	closeErr  error
}

// Start starts a registry for a test and closes it when the test ends.
// It fails the test if the registry cannot start.
func Start(t testing.TB, opts ...Option) *Registry {
	t.Helper()
	var cfg Config
	for _, o := range opts {
		o(&cfg)
	}
	r, err := New(cfg)
	if err != nil {
		t.Fatalf("start test registry: %v", err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("close test registry: %v", err)
		}
	})
	return r
}

// New starts a registry. Call Close to stop it.
func New(cfg Config) (reg *Registry, err error) {
	if cfg.BasicAuth != nil && cfg.TokenAuth != nil {
		return nil, errors.New("registry: BasicAuth and TokenAuth are mutually exclusive")
	}
	quietLogging()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("registry: listen: %w", err)
	}
	r := &Registry{
		host:      ln.Addr().String(),
		listener:  ln,
		requests:  &requestLog{},
		faults:    newFaultSet(),
		manifests: newManifestTable(),
		serveErr:  make(chan error, 1),
	}
	defer func() {
		if err != nil {
			_ = ln.Close()
			if r.tmpDir != "" {
				_ = os.RemoveAll(r.tmpDir)
			}
		}
	}()
	conf, err := r.configuration(cfg)
	if err != nil {
		return nil, err
	}
	if conf.Auth.Type() != "" {
		// A second controller with the same settings guards raw manifests.
		if r.access, err = auth.GetAccessController(conf.Auth.Type(), conf.Auth.Parameters()); err != nil {
			return nil, fmt.Errorf("registry: auth: %w", err)
		}
	}
	if r.app, err = newApp(conf); err != nil {
		return nil, err
	}
	r.server = &http.Server{
		Handler:           r.requests.wrap(throttle(cfg.BlobRate, cfg.UploadRate, r.faults.wrap(http.HandlerFunc(r.route)))),
		ReadHeaderTimeout: 30 * time.Second,
	}
	go func() { r.serveErr <- r.server.Serve(ln) }()
	return r, nil
}

// newApp builds the distribution App, turning its configuration panics into
// errors.
func newApp(conf *configuration.Configuration) (app *handlers.App, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("registry: configure: %v", p)
		}
	}()
	return handlers.NewApp(context.Background(), conf), nil
}

func (r *Registry) configuration(cfg Config) (*configuration.Configuration, error) {
	secret := make([]byte, 16)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	conf := &configuration.Configuration{Version: "0.1"}
	conf.HTTP.Addr = r.host
	conf.HTTP.Secret = hex.EncodeToString(secret)
	conf.Log.Level = "error"
	storage := configuration.Parameters{}
	driver := "inmemory"
	if cfg.RootDir != "" {
		driver = "filesystem"
		storage["rootdirectory"] = cfg.RootDir
	}
	conf.Storage = configuration.Storage{
		driver:   storage,
		"delete": configuration.Parameters{"enabled": true},
		"maintenance": configuration.Parameters{
			"uploadpurging": map[any]any{"enabled": false},
		},
	}
	// Indexes may reference children the registry cannot resolve as
	// manifests (unknown media types, deliberately missing children).
	conf.Validation.Manifests.Indexes.Platforms = "none"

	if cfg.BasicAuth != nil || cfg.TokenAuth != nil {
		// Auth needs files (htpasswd, JWKS); anonymous registries leave
		// nothing on disk.
		dir, err := os.MkdirTemp("", "berth-registry")
		if err != nil {
			return nil, fmt.Errorf("registry: %w", err)
		}
		r.tmpDir = dir
	}
	switch {
	case cfg.BasicAuth != nil:
		params, err := cfg.BasicAuth.parameters(r.tmpDir)
		if err != nil {
			return nil, err
		}
		conf.Auth = configuration.Auth{"htpasswd": params}
	case cfg.TokenAuth != nil:
		issuer, params, err := newTokenIssuer(*cfg.TokenAuth, r.URL()+TokenPath, r.host, r.tmpDir)
		if err != nil {
			return nil, err
		}
		r.issuer = issuer
		conf.Auth = configuration.Auth{"token": params}
	}
	return conf, nil
}

// route dispatches to the token issuer, the raw manifest table or the
// registry app.
func (r *Registry) route(w http.ResponseWriter, req *http.Request) {
	if r.issuer != nil && req.URL.Path == TokenPath {
		r.issuer.ServeHTTP(w, req)
		return
	}
	if r.manifests.serve(w, req, r.access) {
		return
	}
	r.app.ServeHTTP(w, req)
}

// Host returns "127.0.0.1:PORT", usable as an image reference prefix.
func (r *Registry) Host() string { return r.host }

// URL returns "http://127.0.0.1:PORT".
func (r *Registry) URL() string { return "http://" + r.host }

// Close stops the server, releases stalled requests and removes temporary
// files. It is safe to call more than once.
func (r *Registry) Close() error {
	r.closeOnce.Do(func() {
		r.faults.releaseAll()
		r.closeErr = r.server.Close()
		if err := <-r.serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) && r.closeErr == nil {
			r.closeErr = err
		}
		if err := r.app.Shutdown(); err != nil && r.closeErr == nil {
			r.closeErr = err
		}
		if r.tmpDir != "" {
			if err := os.RemoveAll(r.tmpDir); err != nil && r.closeErr == nil {
				r.closeErr = err
			}
		}
	})
	return r.closeErr
}
