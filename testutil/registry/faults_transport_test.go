package registry_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/berth-dev/berth/testutil/fixtures"
	"github.com/berth-dev/berth/testutil/registry"
)

// rawGet GETs url without following redirects and reads the whole body,
// returning the read error instead of failing.
func rawGet(t *testing.T, url string, hdr http.Header) (*http.Response, []byte, error) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, v := range hdr {
		req.Header[k] = v
	}
	c := &http.Client{
		Transport:     &http.Transport{DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

func TestTransportFaults(t *testing.T) {
	reg := registry.Start(t)
	img := pushSample(t, fixtures.NewClient(reg.Host()), "f/app")
	layer := img.Layers[0]
	url := reg.URL() + registry.BlobPath("f/app", layer.Digest)

	t.Run("reset", func(t *testing.T) {
		reg.ResetBlob("f/app", layer.Digest, 1000, 1)
		resp, body, err := rawGet(t, url, nil)
		if !errors.Is(err, syscall.ECONNRESET) || resp.ContentLength != layer.Size || len(body) > 1000 {
			t.Fatalf("reset: %v after %d of %d bytes; want ECONNRESET after at most 1000", err, len(body), resp.ContentLength)
		}
		if _, body, err := rawGet(t, url, nil); err != nil || !bytes.Equal(body, layer.Blob) {
			t.Fatalf("the second GET (Times 1) should be whole: %v", err)
		}
	})
	t.Run("short body", func(t *testing.T) {
		reg.ShortBlob("f/app", layer.Digest, 1500, 1)
		resp, body, err := rawGet(t, url, nil)
		if !errors.Is(err, io.ErrUnexpectedEOF) || len(body) != 1500 || resp.ContentLength != layer.Size {
			t.Fatalf("short body: %v, %d bytes of %d", err, len(body), resp.ContentLength)
		}
	})
	t.Run("wrong content length", func(t *testing.T) {
		remove := reg.Inject(registry.BlobPath("f/app", layer.Digest), registry.Fault{Method: http.MethodGet, LengthDelta: 10})
		resp, body, err := rawGet(t, url, nil)
		remove()
		if !errors.Is(err, io.ErrUnexpectedEOF) || int64(len(body)) != layer.Size || resp.ContentLength != layer.Size+10 {
			t.Fatalf("longer Content-Length: %v, %d bytes, announced %d", err, len(body), resp.ContentLength)
		}
		remove = reg.Inject(registry.BlobPath("f/app", layer.Digest), registry.Fault{Method: http.MethodGet, LengthDelta: -10})
		resp, body, err = rawGet(t, url, nil)
		remove()
		if err != nil || int64(len(body)) != layer.Size-10 || resp.ContentLength != layer.Size-10 {
			t.Fatalf("shorter Content-Length: %v, %d bytes, announced %d", err, len(body), resp.ContentLength)
		}
	})
	t.Run("throttle", func(t *testing.T) {
		reg.ThrottleBlob("f/app", layer.Digest, http.StatusTooManyRequests, 3*time.Second, 1)
		resp, _, _ := rawGet(t, url, nil)
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "3" {
			t.Fatalf("throttle: %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	})
	t.Run("redirect", func(t *testing.T) {
		o := registry.StartOrigin(t)
		remove := reg.RedirectBlob("f/app", layer.Digest, layer.Blob, o)
		defer remove()
		resp, _, _ := rawGet(t, url+"?x=1", http.Header{"Authorization": {"Basic c2VjcmV0"}})
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusTemporaryRedirect || loc != o.URL()+registry.BlobPath("f/app", layer.Digest)+"?x=1" {
			t.Fatalf("redirect: %d to %q", resp.StatusCode, loc)
		}
		resp, body, err := rawGet(t, loc, http.Header{"Range": {"bytes=100-"}, "Authorization": {"Basic c2VjcmV0"}})
		if err != nil || resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, layer.Blob[100:]) {
			t.Fatalf("origin range GET: %d %v", resp.StatusCode, err)
		}
		reqs := o.Requests()
		if len(reqs) != 1 || reqs[0].Header.Get("Authorization") != "Basic c2VjcmV0" || reqs[0].Bytes != layer.Size-100 {
			t.Fatalf("origin log: %+v", reqs)
		}
	})
	if n := reg.BytesServed(registry.BlobPath("f/app", layer.Digest)); n == 0 {
		t.Error("BytesServed counts nothing")
	}
}
