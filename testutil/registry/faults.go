package registry

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
)

// Fault changes how the registry answers requests for one path. Faults are
// checked in registration order; the first active one whose path and method
// match applies. Requests hit by a fault are still recorded in Requests.
type Fault struct {
	// Method restricts the fault to one HTTP method; "" matches any.
	Method string
	// Times limits the fault to the first n matching requests; 0 means
	// every matching request.
	Times int
	// Delay waits before handling the request (or the rest of the fault).
	// If the client goes away meanwhile, nothing is answered.
	Delay time.Duration
	// Status, if non-zero, answers with this status, Header and Body
	// instead of calling the registry.
	Status int
	Header http.Header
	Body   []byte
	// Rewrite, for GET requests answered 200 by the registry, replaces the
	// response body with Rewrite(body). Headers are kept (including
	// Docker-Content-Digest) except Content-Length, which is fixed up.
	Rewrite func(body []byte) []byte
	// Stall, if set, stops the response after StallAfter body bytes have
	// been written and flushed, until the Stall is released or the client
	// disconnects.
	Stall      *Stall
	StallAfter int64
	// CutAfter, if positive, ends a 200 or 206 answer after CutAfter body
	// bytes by closing the connection: the client was promised more
	// (Content-Length) than arrives, a short body. With Reset the
	// connection is reset instead (TCP RST), at CutAfter bytes (0 too).
	CutAfter int64
	Reset    bool
	// LengthDelta, if non-zero, announces Content-Length plus LengthDelta
	// on a 200 GET answer: with a positive delta the connection closes
	// after the real body, with a negative one the body is cut short of
	// its digest.
	LengthDelta int64
	// RedirectTo, if set, answers 307 Temporary Redirect to RedirectTo (an
	// origin, "http://127.0.0.1:PORT") followed by the request's path and
	// query: a registry sending blob downloads to a CDN.
	RedirectTo string
	// redirectAuthenticated passes requests without credentials on to the
	// registry (to be challenged), as a registry redirects only callers it
	// let in.
	redirectAuthenticated bool
}

// Stall blocks responses mid-body; see Fault.Stall and StallBlob.
type Stall struct {
	reachedOnce, goneOnce, releaseOnce sync.Once
	reached, gone, released            chan struct{}
}

// NewStall returns an unreleased Stall.
func NewStall() *Stall {
	return &Stall{reached: make(chan struct{}), gone: make(chan struct{}), released: make(chan struct{})}
}

// Reached is closed once a response has stopped at the stall point.
func (s *Stall) Reached() <-chan struct{} { return s.reached }

// CountReached reports how many of stalls a response has stopped at.
func CountReached(stalls []*Stall) int {
	n := 0
	for _, s := range stalls {
		select {
		case <-s.Reached():
			n++
		default:
		}
	}
	return n
}

// ClientGone is closed once a stalled request's client has disconnected.
func (s *Stall) ClientGone() <-chan struct{} { return s.gone }

// Release lets stalled responses finish; later responses no longer stall.
func (s *Stall) Release() { s.releaseOnce.Do(func() { close(s.released) }) }

// wait blocks until release or until ctx (the request) ends.
func (s *Stall) wait(ctx context.Context) error {
	s.reachedOnce.Do(func() { close(s.reached) })
	select {
	case <-s.released:
		return nil
	case <-ctx.Done():
		s.goneOnce.Do(func() { close(s.gone) })
		return ctx.Err()
	}
}

// Inject registers a fault for requests whose URL path equals path (see
// BlobPath and ManifestPath). It returns a function removing the fault.
func (r *Registry) Inject(path string, f Fault) (remove func()) {
	return r.faults.add(path, f)
}

// FailPath makes every request for path answer status with body.
func (r *Registry) FailPath(path string, status int, body string) (remove func()) {
	return r.Inject(path, Fault{Status: status, Body: []byte(body)})
}

// CorruptBlob makes GET of the blob return bytes of the right length that
// do not match its digest (one byte in the middle is inverted).
func (r *Registry) CorruptBlob(repo string, dgst digest.Digest) (remove func()) {
	return r.Inject(BlobPath(repo, dgst), Fault{Method: http.MethodGet, Rewrite: func(b []byte) []byte {
		out := bytes.Clone(b)
		if len(out) == 0 {
			return []byte{0}
		}
		out[len(out)/2] ^= 0xff
		return out
	}})
}

// StallBlob makes GET of the blob stop after afterBytes bytes until the
// returned Stall is released (Close releases it too). A blob shorter than
// afterBytes is not stalled.
func (r *Registry) StallBlob(repo string, dgst digest.Digest, afterBytes int64) *Stall {
	s := NewStall()
	r.Inject(BlobPath(repo, dgst), Fault{Method: http.MethodGet, Stall: s, StallAfter: afterBytes})
	return s
}

type faultEntry struct {
	id   int
	path string
	f    Fault
	used int
}

type faultSet struct {
	mu      sync.Mutex
	nextID  int
	entries []*faultEntry
}

func newFaultSet() *faultSet { return &faultSet{} }

func (fs *faultSet) add(path string, f Fault) func() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.nextID++
	id := fs.nextID
	fs.entries = append(fs.entries, &faultEntry{id: id, path: path, f: f})
	return func() {
		fs.mu.Lock()
		defer fs.mu.Unlock()
		for i, e := range fs.entries {
			if e.id == id {
				fs.entries = append(fs.entries[:i], fs.entries[i+1:]...)
				return
			}
		}
	}
}

// match returns the fault applying to r, consuming one of its Times.
func (fs *faultSet) match(r *http.Request) (Fault, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, e := range fs.entries {
		if e.path != r.URL.Path || (e.f.Method != "" && e.f.Method != r.Method) {
			continue
		}
		if e.f.Times > 0 && e.used >= e.f.Times {
			continue
		}
		e.used++
		return e.f, true
	}
	return Fault{}, false
}

// releaseAll releases every registered stall, so Close does not hang.
func (fs *faultSet) releaseAll() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, e := range fs.entries {
		if e.f.Stall != nil {
			e.f.Stall.Release()
		}
	}
}

func (fs *faultSet) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := fs.match(r)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		if f.Delay > 0 {
			t := time.NewTimer(f.Delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		switch {
		case f.RedirectTo != "" && f.redirectAuthenticated && r.Header.Get("Authorization") == "":
			next.ServeHTTP(w, r)
		case f.RedirectTo != "":
			redirect(w, r, f.RedirectTo)
		case f.Status != 0:
			for k, v := range f.Header {
				w.Header()[k] = v
			}
			w.Header().Set("Content-Length", strconv.Itoa(len(f.Body)))
			w.WriteHeader(f.Status)
			if r.Method != http.MethodHead {
				_, _ = w.Write(f.Body)
			}
		case f.Rewrite != nil && r.Method == http.MethodGet:
			rec := &captureWriter{header: http.Header{}}
			next.ServeHTTP(rec, r)
			body := rec.body.Bytes()
			if rec.status == 0 || rec.status == http.StatusOK {
				body = f.Rewrite(body)
				rec.header.Set("Content-Length", strconv.Itoa(len(body)))
			}
			for k, v := range rec.header {
				w.Header()[k] = v
			}
			if rec.status != 0 {
				w.WriteHeader(rec.status)
			}
			_, _ = w.Write(body)
		case f.LengthDelta != 0 && r.Method == http.MethodGet:
			wrongLength(w, r, next, f.LengthDelta)
		case f.CutAfter > 0 || f.Reset:
			next.ServeHTTP(&cutWriter{ResponseWriter: w, after: f.CutAfter, reset: f.Reset}, r)
		case f.Stall != nil:
			next.ServeHTTP(&stallWriter{ResponseWriter: w, stall: f.Stall, after: f.StallAfter, ctx: r.Context()}, r)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// captureWriter buffers a whole response.
type captureWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (c *captureWriter) Header() http.Header { return c.header }

func (c *captureWriter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
}

func (c *captureWriter) Write(p []byte) (int, error) { return c.body.Write(p) }

// stallWriter writes the first `after` body bytes, flushes, then waits on
// the stall before writing the rest.
type stallWriter struct {
	http.ResponseWriter
	stall   *Stall
	after   int64
	written int64
	done    bool
	ctx     context.Context
}

func (s *stallWriter) Write(p []byte) (int, error) {
	if s.done {
		return s.ResponseWriter.Write(p)
	}
	if remaining := s.after - s.written; int64(len(p)) < remaining {
		n, err := s.ResponseWriter.Write(p)
		s.written += int64(n)
		return n, err
	}
	head := p[:s.after-s.written]
	n, err := s.ResponseWriter.Write(head)
	s.written += int64(n)
	if err != nil {
		return n, err
	}
	s.Flush()
	s.done = true
	if err := s.stall.wait(s.ctx); err != nil {
		return n, err
	}
	m, err := s.ResponseWriter.Write(p[len(head):])
	return n + m, err
}

func (s *stallWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
