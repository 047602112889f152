package images

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/jsonstream"

	"github.com/berth-dev/berth/api/types/backend"
)

// importSource opens what an import reads: the request body for "-", else
// the archive at the URL fromSrc names (http:// when it has no scheme),
// announced with "Downloading from <url>" and read with "Importing"
// progress, as dockerd does.
func importSource(ctx context.Context, opts backend.ImportOptions, out backend.ProgressWriter) (io.ReadCloser, error) {
	if opts.Source == "-" {
		if opts.Body == nil {
			return io.NopCloser(strings.NewReader("")), nil
		}
		return io.NopCloser(opts.Body), nil
	}
	src := opts.Source
	if !strings.Contains(src, "://") {
		src = "http://" + src
	}
	u, err := url.Parse(src)
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	resp, err := download(ctx, u.String())
	if err != nil {
		return nil, err
	}
	_ = out.WriteMessage(jsonstream.Message{Status: "Downloading from " + u.String()})
	return &importProgress{body: resp.Body, out: out, total: max(resp.ContentLength, 0)}, nil
}

// download GETs address; statuses of 400 and above are errors of the
// matching class with dockerd's message, which includes the body.
func download(ctx context.Context, address string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, address, nil)
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) && !dnsErr.IsTimeout {
			return nil, errdefs.ErrNotFound.WithMessage(err.Error())
		}
		return nil, errdefs.ErrUnknown.WithMessage(err.Error())
	}
	if resp.StatusCode < http.StatusBadRequest {
		return resp, nil
	}
	defer resp.Body.Close()
	msg := fmt.Sprintf("failed to GET %s with status %s", address, resp.Status)
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, errdefs.ErrUnknown.WithMessage(msg + ": error reading body")
	}
	msg += ": " + string(bytes.TrimSpace(body))
	switch resp.StatusCode {
	case http.StatusNotFound:
		return nil, errdefs.ErrNotFound.WithMessage(msg)
	case http.StatusBadRequest:
		return nil, errdefs.ErrInvalidArgument.WithMessage(msg)
	case http.StatusUnauthorized:
		return nil, errdefs.ErrUnauthenticated.WithMessage(msg)
	case http.StatusForbidden:
		return nil, errdefs.ErrPermissionDenied.WithMessage(msg)
	}
	return nil, errdefs.ErrUnknown.WithMessage(msg)
}

// importProgress reports "Importing" progress while the download is read:
// every 512 KiB (or 1% of a known size, if less), at most every 100 ms,
// and at the end.
type importProgress struct {
	body         io.ReadCloser
	out          backend.ProgressWriter
	total        int64
	current      int64
	lastReported int64
	lastSent     time.Time
}

func (p *importProgress) Read(b []byte) (int, error) {
	n, err := p.body.Read(b)
	p.current += int64(n)
	every := int64(512 << 10)
	if p.total > 0 {
		every = min(every, p.total/100)
	}
	if p.current-p.lastReported > every || err != nil {
		last := err != nil && n == 0
		if last || p.current == p.total || time.Since(p.lastSent) >= 100*time.Millisecond {
			p.send()
		}
		p.lastReported = p.current
	}
	return n, err
}

func (p *importProgress) send() {
	p.lastSent = time.Now()
	_ = p.out.WriteMessage(jsonstream.Message{
		Status:   "Importing",
		Progress: &jsonstream.Progress{Current: p.current, Total: p.total},
	})
}

func (p *importProgress) Close() error {
	if p.current < p.total {
		p.current = p.total
		p.send()
	}
	return p.body.Close()
}
