package metrics

import (
	"io"
	"net/http"
)

// Transport wraps a registry client's transport so that the bytes of
// response bodies (received) and request bodies (sent) are counted in
// berth_registry_bytes_total. rt nil means http.DefaultTransport.
func (m *Metrics) Transport(rt http.RoundTripper) http.RoundTripper {
	if rt == nil {
		rt = http.DefaultTransport
	}
	if m == nil {
		return rt
	}
	return countingTransport{m: m, rt: rt}
}

type countingTransport struct {
	m  *Metrics
	rt http.RoundTripper
}

func (t countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		r := req.Clone(req.Context())
		r.Body = &countingBody{ReadCloser: req.Body, add: t.m.bytes.WithLabelValues("sent").Add}
		req = r
	}
	resp, err := t.rt.RoundTrip(req)
	if resp != nil && resp.Body != nil {
		resp.Body = &countingBody{ReadCloser: resp.Body, add: t.m.bytes.WithLabelValues("received").Add}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	add func(float64)
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.add(float64(n))
	}
	return n, err
}
