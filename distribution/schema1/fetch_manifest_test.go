package schema1

import (
	"context"
	"crypto/elliptic"
	"net/http"
	"strings"
	"testing"

	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"

	"github.com/berth-dev/berth/testutil/fixtures"
	"github.com/berth-dev/berth/testutil/registry"
)

// TestResolveAndFetchFromRegistry runs the pull's steps against the real
// distribution registry (schema 1 manifests served raw in front of it):
// containerd's resolver returns the schema 1 descriptor, FetchManifest
// reads and verifies it, Convert fetches only the real layers.
func TestResolveAndFetchFromRegistry(t *testing.T) {
	ctx := context.Background()
	reg := registry.Start(t, registry.WithBasicAuth("alice", "pw"))
	client := fixtures.NewClient(reg.Host())
	client.Username, client.Password = "alice", "pw"
	built, err := client.PushSchema1(ctx, "legacy/hello", fixtures.Schema1Image{
		Layers: []fixtures.Layer{{Seed: 11}, {Seed: 12}},
		Env:    []string{"A=b"},
		Cmd:    []string{"/hello"},
	}, reg, "1.0")
	if err != nil {
		t.Fatal(err)
	}
	hosts := docker.ConfigureDefaultRegistries(
		docker.WithPlainHTTP(docker.MatchAllHosts),
		docker.WithAuthorizer(docker.NewDockerAuthorizer(docker.WithAuthCreds(
			func(string) (string, string, error) { return "alice", "pw", nil }))),
	)
	resolver := docker.NewResolver(docker.ResolverOptions{Hosts: hosts, Headers: http.Header{"Accept": {ResolveAccept}}})

	for _, ref := range []string{
		reg.Host() + "/legacy/hello:1.0",
		reg.Host() + "/legacy/hello@" + built.Digest.String(),
		reg.Host() + "/legacy/hello:1.0@" + built.Digest.String(),
	} {
		t.Run(ref, func(t *testing.T) {
			name, desc, err := resolver.Resolve(ctx, ref)
			if err != nil {
				t.Fatal(err)
			}
			if !IsSchema1(desc.MediaType) || desc.Digest != built.Digest {
				t.Fatalf("resolved %+v, want schema 1 %s", desc, built.Digest)
			}
			m, err := FetchManifest(ctx, fetcherFor(t, resolver, name), desc)
			if err != nil {
				t.Fatal(err)
			}
			if m.Digest() != built.Digest || !m.Signed() {
				t.Fatalf("digest %s signed %v", m.Digest(), m.Signed())
			}
			reg.ResetRequests()
			cs := newStore(t)
			if _, err := (&Converter{Store: cs, Fetcher: fetcherFor(t, resolver, name)}).Convert(ctx, m); err != nil {
				t.Fatal(err)
			}
			fetched := reg.FetchedBlobs("legacy/hello")
			if len(fetched) != 2 {
				t.Fatalf("fetched %v", fetched)
			}
			for _, d := range fetched {
				if d == fixtures.EmptyGzipLayerDigest {
					t.Fatal("throwaway blob fetched")
				}
			}
		})
	}
}

// TestFetchManifestDigestMismatch: a registry answering other content for
// the digest is refused.
func TestFetchManifestDigestMismatch(t *testing.T) {
	ctx := context.Background()
	reg := newTestRegistry(t, "r")
	payload := render(t, manifestDoc("r", "t", threeSteps()))
	other := digest.FromString("something else")
	reg.addManifest(MediaTypeSignedManifest, signPretty(t, payload, newECKey(t, elliptic.P256())), other, "t")
	resolver := testResolver("")
	_, desc, err := resolver.Resolve(ctx, reg.ref("t"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = FetchManifest(ctx, fetcherFor(t, resolver, reg.ref("t")), desc)
	wantInvalid(t, err)
}

// TestResolveWithoutDigestHeader: when the registry omits
// Docker-Content-Digest, containerd's Resolve GETs the manifest and
// rejects schema 1; FetchManifestByRef takes over (with authentication).
func TestResolveWithoutDigestHeader(t *testing.T) {
	ctx := context.Background()
	reg := newTestRegistry(t, "old/app")
	reg.noDigest, reg.user = true, "bob"
	payload := render(t, manifestDoc("old/app", "t", threeSteps()))
	signed := signPretty(t, payload, newECKey(t, elliptic.P256()))
	reg.addManifest(MediaTypeSignedManifest, signed, digest.FromBytes(payload), "t")

	_, _, err := testResolver("bob").Resolve(ctx, reg.ref("t"))
	if !IsSchema1Rejection(err) {
		t.Fatalf("Resolve error %v is not the schema 1 rejection", err)
	}

	m, err := FetchManifestByRef(ctx, testHosts("bob"), reg.ref("t"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Digest() != digest.FromBytes(payload) || len(m.Layers()) != 3 {
		t.Fatalf("digest %s layers %d", m.Digest(), len(m.Layers()))
	}
	if _, err := FetchManifestByRef(ctx, testHosts("bob"), reg.ref(digest.FromBytes(payload).String())); err != nil {
		t.Fatalf("by digest: %v", err)
	}
	_, err = FetchManifestByRef(ctx, testHosts("bob"), reg.ref(digest.FromString("x").String()))
	if !errdefs.IsNotFound(err) {
		t.Fatalf("unknown digest: %v", err)
	}
	_, err = FetchManifestByRef(ctx, testHosts("mallory"), reg.ref("t"))
	if err == nil {
		t.Fatal("wrong credentials accepted")
	}
}

// TestFetchManifestTooLarge: a schema 1 manifest over 4 MiB is refused as
// "manifest too large", by its descriptor before any request, and by
// reference after reading at most the limit.
func TestFetchManifestTooLarge(t *testing.T) {
	ctx := context.Background()
	reg := registry.Start(t)
	huge, err := fixtures.PaddedJSON(MediaTypeSignedManifest, map[string]string{"name": fixtures.PadMarker}, 5<<20)
	if err != nil {
		t.Fatal(err)
	}
	reg.ServeManifestStream("legacy/huge", huge.MediaType, huge.Size, huge.Digest, huge.Open, "1.0")
	hosts := docker.ConfigureDefaultRegistries(docker.WithPlainHTTP(docker.MatchAllHosts))
	resolver := docker.NewResolver(docker.ResolverOptions{Hosts: hosts, Headers: http.Header{"Accept": {ResolveAccept}}})
	ref := reg.Host() + "/legacy/huge:1.0"

	if _, err := FetchManifest(ctx, fetcherFor(t, resolver, ref), huge.Descriptor()); !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), "manifest too large") {
		t.Errorf("FetchManifest: %v, want manifest too large", err)
	}
	if n := reg.Count(http.MethodGet, registry.ManifestPath("legacy/huge", huge.Digest.String())); n != 0 {
		t.Errorf("the oversized manifest was requested %d times", n)
	}
	if _, err := FetchManifestByRef(ctx, hosts, ref); !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), "manifest too large") {
		t.Errorf("FetchManifestByRef: %v, want manifest too large", err)
	}
}
