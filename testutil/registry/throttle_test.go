package registry_test

import (
	"context"
	"testing"
	"time"

	"github.com/berth-dev/berth/testutil/fixtures"
	"github.com/berth-dev/berth/testutil/registry"
)

// TestBlobRates: with rates set, a blob upload and a blob download of 1 MiB
// at 2 MiB/s each take at least half a second (on loopback they take
// milliseconds otherwise).
func TestBlobRates(t *testing.T) {
	reg := registry.Start(t, registry.WithBlobRates(2<<20, 2<<20))
	img := fixtures.Image{Layers: []fixtures.Layer{{Seed: 7, Size: 1 << 20}}}
	built, err := img.Build()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := fixtures.Push(context.Background(), reg.Host(), "slow/app", "v1", img); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 450*time.Millisecond {
		t.Errorf("push of %d bytes took %v at 2 MiB/s", built.Layers[0].Size, d)
	}
	start = time.Now()
	res := get(t, "GET", reg.URL()+"/v2/slow/app/blobs/"+built.Layers[0].Digest.String(), nil)
	if res.status != 200 || int64(len(res.body)) != built.Layers[0].Size {
		t.Fatalf("blob GET: %d, %d bytes", res.status, len(res.body))
	}
	if d := time.Since(start); d < 450*time.Millisecond {
		t.Errorf("download of %d bytes took %v at 2 MiB/s", len(res.body), d)
	}
}
