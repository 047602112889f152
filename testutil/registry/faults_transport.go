package registry

import (
	"errors"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/opencontainers/go-digest"
)

// errCut is what a faulted handler's writes return once the connection
// was cut under it.
var errCut = errors.New("registry fault: connection cut")

// ResetBlob resets the connection of the first `times` GETs of the blob
// (0: every GET) after `after` body bytes.
func (r *Registry) ResetBlob(repo string, dgst digest.Digest, after int64, times int) (remove func()) {
	return r.Inject(BlobPath(repo, dgst), Fault{Method: http.MethodGet, Times: times, CutAfter: after, Reset: true})
}

// ShortBlob closes the connection of the first `times` GETs of the blob
// (0: every GET) after `after` bytes of the announced Content-Length.
func (r *Registry) ShortBlob(repo string, dgst digest.Digest, after int64, times int) (remove func()) {
	return r.Inject(BlobPath(repo, dgst), Fault{Method: http.MethodGet, Times: times, CutAfter: after})
}

// ThrottleBlob answers the first `times` GETs of the blob (0: every GET)
// with status (429, 503…) and, when retryAfter > 0, a Retry-After header in
// whole seconds.
func (r *Registry) ThrottleBlob(repo string, dgst digest.Digest, status int, retryAfter time.Duration, times int) (remove func()) {
	h := http.Header{"Content-Type": {"application/json"}}
	if retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int(retryAfter/time.Second)))
	}
	body := `{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}`
	if status != http.StatusTooManyRequests {
		body = `{"errors":[{"code":"UNAVAILABLE","message":"try again later"}]}`
	}
	return r.Inject(BlobPath(repo, dgst), Fault{Method: http.MethodGet, Times: times, Status: status, Header: h, Body: []byte(body)})
}

// RedirectBlob sends GETs of the blob to o, which serves blob (its bytes
// as pushed), as registries send downloads to a CDN on another origin. On a
// registry with auth, only requests with credentials are redirected (the
// others are challenged), as a real registry does.
func (r *Registry) RedirectBlob(repo string, dgst digest.Digest, blob []byte, o *Origin) (remove func()) {
	o.serve(BlobPath(repo, dgst), blob)
	return r.Inject(BlobPath(repo, dgst), Fault{Method: http.MethodGet, RedirectTo: o.URL(), redirectAuthenticated: r.access != nil})
}

func redirect(w http.ResponseWriter, r *http.Request, origin string) {
	target := origin + r.URL.Path
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	w.Header().Set("Location", target)
	w.WriteHeader(http.StatusTemporaryRedirect)
}

// wrongLength answers with the registry's response but a Content-Length
// off by delta.
func wrongLength(w http.ResponseWriter, r *http.Request, next http.Handler, delta int64) {
	rec := &captureWriter{header: http.Header{}}
	next.ServeHTTP(rec, r)
	body := rec.body.Bytes()
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	if rec.status != 0 && rec.status != http.StatusOK {
		w.WriteHeader(rec.status)
		_, _ = w.Write(body)
		return
	}
	announced := max(int64(len(body))+delta, 0)
	w.Header().Set("Content-Length", strconv.FormatInt(announced, 10))
	w.WriteHeader(http.StatusOK)
	if announced < int64(len(body)) {
		_, _ = w.Write(body[:announced])
		return
	}
	_, _ = w.Write(body)
	cut(w, false)
}

// cutWriter passes the first `after` body bytes of a 200/206 answer, then
// closes (or resets) the connection.
type cutWriter struct {
	http.ResponseWriter
	after, written int64
	reset, done    bool
	status         int
}

func (c *cutWriter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *cutWriter) Write(p []byte) (int, error) {
	if c.done {
		return 0, errCut
	}
	if c.status != 0 && c.status != http.StatusOK && c.status != http.StatusPartialContent {
		return c.ResponseWriter.Write(p)
	}
	if c.written+int64(len(p)) <= c.after {
		n, err := c.ResponseWriter.Write(p)
		c.written += int64(n)
		return n, err
	}
	n, _ := c.ResponseWriter.Write(p[:c.after-c.written])
	c.written += int64(n)
	c.done = true
	cut(c.ResponseWriter, c.reset)
	return n, errCut
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (c *cutWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// cut flushes what was written and closes the client's connection, with a
// TCP reset if asked.
func cut(w http.ResponseWriter, reset bool) {
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	conn, _, err := rc.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // the server closes the connection
	}
	if tc, ok := conn.(*net.TCPConn); ok && reset {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
