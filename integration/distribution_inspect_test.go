package integration

import (
	"net/http"
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/testutil/fixtures"
	testregistry "github.com/berth-dev/berth/testutil/registry"
)

// TestDistributionInspect asks the Go SDK's DistributionInspect about a
// Docker schema 2 image, an OCI image and a manifest list with
// attestations, by tag and by digest: the descriptor the registry serves
// and the platforms as dockerd reports them. Nothing is pulled.
func TestDistributionInspect(t *testing.T) {
	e := newImgEnv(t)
	docker, err := fixtures.Push(e.ctx, e.reg.Host(), "di/docker", "v1", fixtures.Image{
		Platform: "linux/arm64/v8", Layers: []fixtures.Layer{{Seed: 500, Size: 4 << 10}},
	})
	if err != nil {
		t.Fatal(err)
	}
	oci, err := fixtures.Push(e.ctx, e.reg.Host(), "di/oci", "latest", fixtures.Image{
		Format: fixtures.OCI, Layers: []fixtures.Layer{{Seed: 501, Size: 4 << 10}},
	})
	if err != nil {
		t.Fatal(err)
	}
	idx, err := fixtures.PushIndex(e.ctx, e.reg.Host(), "di/multi", "v2", fixtures.Index{
		Manifests: fixtures.Platforms("linux/amd64", "linux/arm/v7"), Attestations: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	desc := func(mediaType string, manifest []byte, d ocispec.Descriptor) ocispec.Descriptor {
		return ocispec.Descriptor{MediaType: mediaType, Digest: d.Digest, Size: int64(len(manifest))}
	}
	unknown := ocispec.Platform{OS: "unknown", Architecture: "unknown"}
	for _, tc := range []struct {
		name      string
		want      ocispec.Descriptor
		platforms []ocispec.Platform
	}{
		{e.ref("di/docker", "v1"), desc(fixtures.MediaTypeDockerManifest, docker.Manifest, docker.Descriptor()),
			[]ocispec.Platform{{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
		{e.reg.Host() + "/di/docker@" + docker.Digest.String(), desc(fixtures.MediaTypeDockerManifest, docker.Manifest, docker.Descriptor()),
			[]ocispec.Platform{{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
		// No tag means latest; an OCI manifest has no platforms (dockerd).
		{e.reg.Host() + "/di/oci", desc(ocispec.MediaTypeImageManifest, oci.Manifest, oci.Descriptor()), nil},
		{e.ref("di/multi", "v2"), desc(fixtures.MediaTypeDockerManifestList, idx.Manifest, idx.Descriptor()),
			[]ocispec.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm", Variant: "v7"}, unknown, unknown}},
	} {
		res, err := e.api.DistributionInspect(e.ctx, tc.name, client.DistributionInspectOptions{})
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		got := res.DistributionInspect
		if got.Descriptor.MediaType != tc.want.MediaType || got.Descriptor.Digest != tc.want.Digest || got.Descriptor.Size != tc.want.Size {
			t.Errorf("%s: descriptor %+v, want %+v", tc.name, got.Descriptor, tc.want)
		}
		if len(got.Platforms) != len(tc.platforms) {
			t.Errorf("%s: platforms %+v, want %+v", tc.name, got.Platforms, tc.platforms)
			continue
		}
		for i, p := range tc.platforms {
			g := got.Platforms[i]
			if g.OS != p.OS || g.Architecture != p.Architecture || g.Variant != p.Variant {
				t.Errorf("%s: platform %d %+v, want %+v", tc.name, i, g, p)
			}
		}
	}
	// The lookup stores nothing.
	if list, err := e.api.ImageList(e.ctx, client.ImageListOptions{All: true}); err != nil || len(list.Items) != 0 {
		t.Errorf("images after inspects: %+v %v", list, err)
	}
}

// TestDistributionInspectErrors: unknown tags and repositories are 404s, a
// schema 1 image dockerd's 400 notice, a bare image ID dockerd's 500, a
// malformed name a 400.
func TestDistributionInspectErrors(t *testing.T) {
	e := newImgEnv(t)
	if _, err := fixtures.Push(e.ctx, e.reg.Host(), "die/app", "v1", seedImage(510)); err != nil {
		t.Fatal(err)
	}
	_, err := e.api.DistributionInspect(e.ctx, e.ref("die/app", "nope"), client.DistributionInspectOptions{})
	if !cerrdefs.IsNotFound(err) || !strings.Contains(err.Error(), "not found") {
		t.Errorf("unknown tag: %v", err)
	}
	_, err = e.api.DistributionInspect(e.ctx, e.ref("die/none", "v1"), client.DistributionInspectOptions{})
	if !cerrdefs.IsNotFound(err) {
		t.Errorf("unknown repository: %v", err)
	}
	if _, err := fixtures.PushSchema1(e.ctx, e.reg.Host(), "die/old", "v1", fixtures.Schema1Image{
		Layers: []fixtures.Layer{{Seed: 511, Size: 4 << 10}},
	}, e.reg); err != nil {
		t.Fatal(err)
	}
	_, err = e.api.DistributionInspect(e.ctx, e.ref("die/old", "v1"), client.DistributionInspectOptions{})
	if !cerrdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), "schema 1 support has been removed. Suggest the author of "+e.ref("die/old", "v1")) {
		t.Errorf("schema 1: %v", err)
	}
	status, body := e.raw(http.MethodGet, "/distribution/"+strings.Repeat("a", 64)+"/json", nil)
	if status != http.StatusInternalServerError || !strings.Contains(body, "no manifest found for full image ID") {
		t.Errorf("bare ID: %d %s", status, body)
	}
	status, body = e.raw(http.MethodGet, "/distribution/"+e.reg.Host()+"/Die/App/json", nil)
	if status != http.StatusBadRequest || !strings.Contains(body, "must be lowercase") {
		t.Errorf("upper case: %d %s", status, body)
	}
}

// TestDistributionInspectAuth: a token registry that gives anonymous
// callers nothing answers the pull's "access denied" until the request
// carries credentials in X-Registry-Auth.
func TestDistributionInspectAuth(t *testing.T) {
	e := newAuthEnv(t, testregistry.WithTokenAuth(authUser, authPass, testregistry.AnonymousNoAccess))
	ref := e.ref("priv/app", "v1")
	_, err := e.api.DistributionInspect(t.Context(), ref, client.DistributionInspectOptions{})
	if !cerrdefs.IsNotFound(err) || !strings.Contains(err.Error(), e.accessDenied()) {
		t.Errorf("anonymous: %v, want %q", err, e.accessDenied())
	}
	auth := encodeAuth(t, registry.AuthConfig{Username: authUser, Password: authPass, ServerAddress: e.reg.Host()})
	res, err := e.api.DistributionInspect(t.Context(), ref, client.DistributionInspectOptions{EncodedRegistryAuth: auth})
	if err != nil || res.Descriptor.Digest != e.img.Digest {
		t.Errorf("with credentials: %+v %v, want digest %s", res, err, e.img.Digest)
	}
}
