package registry

import (
	"net/http"
	"strings"
	"time"
)

// throttle limits each blob GET response to rate bytes per second (0: no
// limit), so that a pull on loopback takes long enough for progress bars to
// be seen (make demo) or for a test to act mid-download.
func throttle(rate int64, next http.Handler) http.Handler {
	if rate <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/blobs/sha256:") {
			next.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(&throttledWriter{ResponseWriter: w, rate: rate, start: time.Now()}, r)
	})
}

// throttledWriter delays writes so the body goes out at rate bytes/s.
type throttledWriter struct {
	http.ResponseWriter
	rate    int64
	start   time.Time
	written int64
}

// chunk is how much is written between pauses: small enough for smooth
// progress.
const chunk = 32 << 10

func (t *throttledWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		c := min(len(p), chunk)
		m, err := t.ResponseWriter.Write(p[:c])
		n += m
		t.written += int64(m)
		if err != nil {
			return n, err
		}
		if f, ok := t.ResponseWriter.(http.Flusher); ok {
			f.Flush()
		}
		due := t.start.Add(time.Duration(float64(t.written) / float64(t.rate) * float64(time.Second)))
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		p = p[c:]
	}
	return n, nil
}

// Unwrap lets http.ResponseController reach the real writer.
func (t *throttledWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }
