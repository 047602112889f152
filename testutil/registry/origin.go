package registry

import (
	"bytes"
	"errors"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// Origin is a second HTTP server on its own 127.0.0.1 port: the storage or
// CDN a registry redirects blob downloads to (see RedirectBlob). It serves
// the blobs handed to it, with Range support, and records every request
// with its headers (to check that no credentials follow a redirect).
type Origin struct {
	host     string
	server   *http.Server
	requests *requestLog
	mu       sync.Mutex
	blobs    map[string][]byte
}

// StartOrigin starts an Origin for a test and closes it when the test ends.
func StartOrigin(t testing.TB) *Origin {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("start origin: %v", err)
	}
	o := &Origin{host: ln.Addr().String(), requests: &requestLog{}, blobs: map[string][]byte{}}
	o.server = &http.Server{Handler: o.requests.wrap(http.HandlerFunc(o.handle)), ReadHeaderTimeout: 30 * time.Second}
	done := make(chan error, 1)
	go func() { done <- o.server.Serve(ln) }()
	t.Cleanup(func() {
		_ = o.server.Close()
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("origin: %v", err)
		}
	})
	return o
}

// URL returns "http://127.0.0.1:PORT".
func (o *Origin) URL() string { return "http://" + o.host }

// Requests returns a copy of the requests received so far.
func (o *Origin) Requests() []Request {
	o.requests.mu.Lock()
	defer o.requests.mu.Unlock()
	return append([]Request(nil), o.requests.reqs...)
}

func (o *Origin) serve(path string, blob []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.blobs[path] = blob
}

func (o *Origin) handle(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	blob, ok := o.blobs[r.URL.Path]
	o.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(blob))
}
