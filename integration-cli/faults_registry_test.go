package integrationcli

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/berth-dev/berth/testutil/fixtures"
	"github.com/berth-dev/berth/testutil/registry"
)

// TestFaultRedirectKeepsCredentialsHome logs in to a registry that sends
// layer downloads to another port of the same host (a CDN, storage): the
// pull works, and the other origin never receives the user's credentials.
func TestFaultRedirectKeepsCredentialsHome(t *testing.T) {
	e := newAuthImageEnv(t, registry.WithBasicAuth(cliUser, cliPass))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := &fixtures.Client{Host: e.reg.Host(), Username: cliUser, Password: cliPass}
	built, err := c.Push(ctx, "priv/cdn", threeLayers(800), "v1")
	if err != nil {
		t.Fatal(err)
	}
	origin := registry.StartOrigin(t)
	for _, l := range built.Layers {
		e.reg.RedirectBlob("priv/cdn", l.Digest, l.Blob, origin)
	}
	if res := login(e, cliPass); res.ExitCode != 0 {
		t.Fatalf("login: %s", res.Combined())
	}
	ref := e.ref("priv/cdn", "v1")
	checkPulled(t, e.docker("pull", ref), ref)

	served := map[string]bool{}
	for _, r := range origin.Requests() {
		served[r.Path] = r.Status == http.StatusOK || r.Status == http.StatusPartialContent
		if h := r.Header.Get("Authorization"); h != "" {
			t.Errorf("%s on the other origin came with Authorization %q", r.Path, h)
		}
	}
	for _, l := range built.Layers {
		if !served[registry.BlobPath("priv/cdn", l.Digest)] {
			t.Errorf("layer %s was not downloaded from the other origin (the test proves nothing)", l.Digest)
		}
	}
}

// TestFaultPullSurvivesTransientFaults pulls while the registry cuts every
// layer's first download short, resets the connection or throttles with
// 429 and Retry-After: each pull succeeds, and resumed downloads do not
// start over.
func TestFaultPullSurvivesTransientFaults(t *testing.T) {
	cases := []struct {
		name      string
		inject    func(reg *registry.Registry, repo string, l fixtures.BuiltLayer)
		maxFactor float64 // registry blob bytes / image blob bytes
	}{
		{"short body at 50%", func(reg *registry.Registry, repo string, l fixtures.BuiltLayer) {
			reg.ShortBlob(repo, l.Digest, l.Size/2, 1)
		}, 1.1},
		{"connection reset at 50%", func(reg *registry.Registry, repo string, l fixtures.BuiltLayer) {
			// What was in flight when the connection reset is lost.
			reg.ResetBlob(repo, l.Digest, l.Size/2, 1)
		}, 1.6},
		{"429 with Retry-After", func(reg *registry.Registry, repo string, l fixtures.BuiltLayer) {
			reg.ThrottleBlob(repo, l.Digest, http.StatusTooManyRequests, time.Second, 1)
		}, 1.01},
		{"503", func(reg *registry.Registry, repo string, l fixtures.BuiltLayer) {
			reg.ThrottleBlob(repo, l.Digest, http.StatusServiceUnavailable, 0, 2)
		}, 1.01},
	}
	rounds := faultRounds(t, 1)
	e := newImageEnv(t)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var survived int
			var served, size int64
			for r := 0; r < rounds; r++ {
				repo := fmt.Sprintf("team/flaky%d-%d", i, r)
				built := e.push(repo, "v1", threeLayers(int64(1000*i+10*r)))
				for _, l := range built.Layers {
					c.inject(e.reg, repo, l)
					size += l.Size
				}
				ref := e.ref(repo, "v1")
				if res := e.cli.Run("pull", ref); res.ExitCode != 0 {
					t.Errorf("round %d: pull failed: %s", r, res.Combined())
					continue
				}
				survived++
				served += e.reg.BytesServed("/v2/"+repo+"/blobs/") - int64(len(built.Config))
				e.docker("rmi", ref)
			}
			factor := float64(served) / float64(size)
			t.Logf("figures: pull with %s on every layer: %d tried → %d survived, registry sent %.2f× the layer bytes",
				c.name, rounds, survived, factor)
			if factor > c.maxFactor {
				t.Errorf("registry sent %.2f× the layer bytes (> %.2f×)", factor, c.maxFactor)
			}
		})
	}
	if rss, err := e.d.PeakRSS(); err == nil {
		t.Logf("figures: transient faults: berthd peak RSS %d MiB", rss>>20)
	}
}
