package distribution

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/containerd/errdefs"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
)

// Two pulls of six layers each, four downloads at a time, from an insecure
// plain-HTTP registry: every blob request after the first few rides on a
// connection opened before, across layers and across pulls.
func TestPullsReuseRegistryConnections(t *testing.T) {
	blobs := map[digest.Digest][]byte{}
	var layers []ocispec.Descriptor
	for i := range 6 {
		data := bytes.Repeat([]byte(fmt.Sprintf("layer %d ", i)), 64<<10)
		d := digest.FromBytes(data)
		blobs[d] = data
		layers = append(layers, ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: d, Size: int64(len(data))})
	}
	var requests atomic.Int64
	var conns sync.Map // client addresses, one per connection
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		requests.Add(1)
		conns.Store(req.RemoteAddr, true)
		d := digest.Digest(req.URL.Path[strings.LastIndex(req.URL.Path, "/")+1:])
		data, ok := blobs[d]
		if !ok || !strings.HasPrefix(req.URL.Path, "/v2/test/blobs/") {
			http.NotFound(w, req)
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		w.Write(data)
	}))
	srv.Start()
	t.Cleanup(srv.Close)
	host := srv.Listener.Addr().String()

	r := New(Config{InsecureRegistries: []string{host}})
	const downloads = 4
	for pull := range 2 {
		ctx := context.Background()
		fetcher, err := r.Resolver(ctx, nil, nil).Fetcher(ctx, host+"/test:latest")
		if err != nil {
			t.Fatal(err)
		}
		var g errgroup.Group
		g.SetLimit(downloads)
		var mu sync.Mutex
		for _, l := range layers {
			g.Go(func() error {
				rc, err := fetcher.Fetch(ctx, l)
				if err != nil {
					return err
				}
				defer rc.Close()
				got, err := io.ReadAll(rc)
				if err != nil {
					return err
				}
				mu.Lock()
				defer mu.Unlock()
				if !bytes.Equal(got, blobs[l.Digest]) {
					return errdefs.ErrDataLoss.WithMessage("blob " + l.Digest.String())
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			t.Fatalf("pull %d: %v", pull+1, err)
		}
	}
	n := 0
	conns.Range(func(_, _ any) bool { n++; return true })
	t.Logf("%d requests over %d connections", requests.Load(), n)
	if requests.Load() < int64(2*len(layers)) {
		t.Fatalf("registry saw %d requests, want at least %d", requests.Load(), 2*len(layers))
	}
	// Go's transport puts a connection back in its idle pool from its read
	// loop, just after the body's EOF: a request made at that instant may
	// open one more. Without shared transports this is 8.
	if n > downloads+1 {
		t.Errorf("%d connections for 2 pulls × %d layers, %d at a time; want at most %d", n, len(layers), downloads, downloads+1)
	}
}
