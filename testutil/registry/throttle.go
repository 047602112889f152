package registry

import (
	"io"
	"net/http"
	"strings"
	"time"
)

// throttle limits each blob GET response to down bytes per second and each
// blob upload body (POST, PATCH or PUT under /blobs/uploads/) to up bytes
// per second (0: no limit), so that a pull or push on loopback takes long
// enough for progress bars to be seen (make demo) or for a test to act
// mid-transfer.
func throttle(down, up int64, next http.Handler) http.Handler {
	if down <= 0 && up <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case down > 0 && r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/sha256:"):
			w = &throttledWriter{ResponseWriter: w, pace: pace{rate: down, start: time.Now()}}
		case up > 0 && r.Method != http.MethodGet && strings.Contains(r.URL.Path, "/blobs/uploads/"):
			r.Body = &throttledReader{ReadCloser: r.Body, pace: pace{rate: up, start: time.Now()}}
		}
		next.ServeHTTP(w, r)
	})
}

// chunk is how much is moved between pauses: small enough for smooth
// progress.
const chunk = 32 << 10

// pace sleeps so that the bytes moved so far take at least n/rate seconds.
type pace struct {
	rate  int64
	start time.Time
	n     int64
}

func (p *pace) moved(n int) {
	p.n += int64(n)
	due := p.start.Add(time.Duration(float64(p.n) / float64(p.rate) * float64(time.Second)))
	if d := time.Until(due); d > 0 {
		time.Sleep(d)
	}
}

// throttledWriter delays writes so the body goes out at the pace's rate.
type throttledWriter struct {
	http.ResponseWriter
	pace pace
}

func (t *throttledWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		c := min(len(p), chunk)
		m, err := t.ResponseWriter.Write(p[:c])
		n += m
		if err != nil {
			return n, err
		}
		if f, ok := t.ResponseWriter.(http.Flusher); ok {
			f.Flush()
		}
		t.pace.moved(m)
		p = p[c:]
	}
	return n, nil
}

// Unwrap lets http.ResponseController reach the real writer.
func (t *throttledWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }

// throttledReader delays reads so the request body comes in at the pace's
// rate.
type throttledReader struct {
	io.ReadCloser
	pace pace
}

func (t *throttledReader) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p[:min(len(p), chunk)])
	t.pace.moved(n)
	return n, err
}
