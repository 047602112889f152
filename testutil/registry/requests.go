package registry

import (
	"net/http"
	"strings"
	"sync"

	"github.com/opencontainers/go-digest"
)

// Request is one request the registry received.
type Request struct {
	Method string
	Path   string // URL path, e.g. "/v2/library/busybox/blobs/sha256:…"
	Query  string // raw query
	Header http.Header
	// Status is the response status, 0 while the request is in flight.
	Status int
	// Bytes is the number of response body bytes written (so far).
	Bytes int64
}

// requestLog records every request, in arrival order.
type requestLog struct {
	mu   sync.Mutex
	reqs []Request
}

func (l *requestLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		i := len(l.reqs)
		l.reqs = append(l.reqs, Request{
			Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(),
		})
		l.mu.Unlock()
		sw := &statusWriter{ResponseWriter: w, count: func(n int) {
			l.mu.Lock()
			if i < len(l.reqs) {
				l.reqs[i].Bytes += int64(n)
			}
			l.mu.Unlock()
		}}
		defer func() {
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			l.mu.Lock()
			if i < len(l.reqs) { // ResetRequests may have truncated the log
				l.reqs[i].Status = status
			}
			l.mu.Unlock()
		}()
		next.ServeHTTP(sw, r)
	})
}

// Requests returns a copy of the requests received so far.
func (r *Registry) Requests() []Request {
	r.requests.mu.Lock()
	defer r.requests.mu.Unlock()
	out := make([]Request, len(r.requests.reqs))
	copy(out, r.requests.reqs)
	return out
}

// ResetRequests forgets the requests received so far.
func (r *Registry) ResetRequests() {
	r.requests.mu.Lock()
	r.requests.reqs = nil
	r.requests.mu.Unlock()
}

// Count returns how many requests had the given path; method "" matches
// any method.
func (r *Registry) Count(method, path string) int {
	n := 0
	for _, req := range r.Requests() {
		if req.Path == path && (method == "" || req.Method == method) {
			n++
		}
	}
	return n
}

// FetchedBlobs returns the distinct blob digests of repo requested with GET,
// in first-request order.
func (r *Registry) FetchedBlobs(repo string) []digest.Digest {
	prefix := "/v2/" + repo + "/blobs/"
	seen := map[digest.Digest]bool{}
	var out []digest.Digest
	for _, req := range r.Requests() {
		if req.Method != http.MethodGet || !strings.HasPrefix(req.Path, prefix) {
			continue
		}
		d := digest.Digest(strings.TrimPrefix(req.Path, prefix))
		if d.Validate() == nil && !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// BlobBytes returns how many body bytes the registry sent for GETs of
// repo's blobs (since the last ResetRequests), partial responses included.
func (r *Registry) BlobBytes(repo string) int64 {
	prefix := "/v2/" + repo + "/blobs/"
	var n int64
	for _, req := range r.Requests() {
		if req.Method == http.MethodGet && strings.HasPrefix(req.Path, prefix) {
			n += req.Bytes
		}
	}
	return n
}

// BlobPath returns the API path of a blob: "/v2/<repo>/blobs/<dgst>".
func BlobPath(repo string, dgst digest.Digest) string {
	return "/v2/" + repo + "/blobs/" + dgst.String()
}

// ManifestPath returns the API path of a manifest by tag or digest:
// "/v2/<repo>/manifests/<ref>".
func ManifestPath(repo, ref string) string {
	return "/v2/" + repo + "/manifests/" + ref
}

// statusWriter remembers the response status and counts body bytes.
type statusWriter struct {
	http.ResponseWriter
	status int
	count  func(int)
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.count(n)
	return n, err
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
