package integration

import (
	"bytes"
	"net/url"
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// TestImageInspectManifestsAndPlatform inspects a two-platform image with
// the manifests and platform parameters.
func TestImageInspectManifestsAndPlatform(t *testing.T) {
	t.Parallel()
	e := newImgEnv(t)
	idx, err := fixtures.PushIndex(e.ctx, e.reg.Host(), "multi", "v1", fixtures.Index{
		Manifests: fixtures.Platforms("linux/amd64", "linux/arm64"),
	})
	if err != nil {
		t.Fatal(err)
	}
	ref := e.ref("multi", "v1")
	e.pull(ref, &ocispec.Platform{OS: "linux", Architecture: "arm64"})

	res, err := e.api.ImageInspect(e.ctx, ref, client.ImageInspectWithManifests(true))
	if err != nil {
		t.Fatal(err)
	}
	if res.ID != idx.Digest.String() || len(res.Manifests) != 2 {
		t.Fatalf("ID %s with %d manifests, want %s with 2", res.ID, len(res.Manifests), idx.Digest)
	}
	// Only arm64 is here: without a platform it describes the image.
	if res.Architecture != "arm64" || len(res.RootFS.Layers) != 1 {
		t.Errorf("Architecture %q layers %v, want the present arm64 image", res.Architecture, res.RootFS.Layers)
	}
	for _, m := range res.Manifests {
		if m.ImageData == nil || m.Kind != imagetypes.ManifestKindImage || m.Available != (m.ImageData.Platform.Architecture == "arm64") {
			t.Errorf("manifest %+v", m)
		}
	}
	// Without manifests=1: none.
	res, err = e.api.ImageInspect(e.ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if res.Manifests != nil {
		t.Errorf("inspect without manifests returned %d", len(res.Manifests))
	}

	res, err = e.api.ImageInspect(e.ctx, ref, client.ImageInspectWithPlatform(&ocispec.Platform{OS: "linux", Architecture: "arm64"}))
	if err != nil {
		t.Fatal(err)
	}
	arm := idx.Image("linux/arm64")
	if res.ID != arm.Digest.String() || res.Descriptor == nil || res.Descriptor.Digest != arm.Digest || res.Architecture != "arm64" {
		t.Errorf("inspect for linux/arm64: ID %s Descriptor %v Architecture %s, want the arm64 manifest %s", res.ID, res.Descriptor, res.Architecture, arm.Digest)
	}
	_, err = e.api.ImageInspect(e.ctx, ref, client.ImageInspectWithPlatform(&ocispec.Platform{OS: "linux", Architecture: "amd64"}))
	if !cerrdefs.IsNotFound(err) || !strings.Contains(err.Error(), "does not provide the specified platform (linux/amd64)") {
		t.Errorf("inspect for the absent linux/amd64: %v", err)
	}

	for _, tc := range []struct{ platform, want string }{
		{`{"os":"linux"}`, "both OS and Architecture must be provided"},
		{`{"variant":"v8"}`, "optional platform fields provided, but OS and Architecture are missing"},
		{`{"os":`, "failed to parse platform"},
	} {
		status, body := e.raw("GET", "/images/"+ref+"/json", url.Values{"platform": {tc.platform}})
		if status != 400 || !strings.Contains(body, tc.want) {
			t.Errorf("platform %s: %d %s, want 400 %q", tc.platform, status, body, tc.want)
		}
	}
}

// TestImageInspectNeverNullLists checks the raw JSON of a dangling image:
// RepoTags and RepoDigests are [] in inspect and list.
func TestImageInspectNeverNullLists(t *testing.T) {
	t.Parallel()
	e := newImgEnv(t)
	old := e.pushPull("app", "1", seedImage(100))
	e.pushPull("app", "2", seedImage(101))
	if _, err := e.api.ImageTag(e.ctx, client.ImageTagOptions{Source: e.ref("app", "2"), Target: e.ref("app", "1")}); err != nil {
		t.Fatal(err)
	}
	var raw bytes.Buffer
	if _, err := e.api.ImageInspect(e.ctx, old.Digest.String(), client.ImageInspectWithRawResponse(&raw)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"RepoTags":[]`, `"RepoDigests":[]`} {
		if !strings.Contains(raw.String(), want) {
			t.Errorf("inspect of a dangling image lacks %s: %s", want, raw.String())
		}
	}
	status, body := e.raw("GET", "/images/json", url.Values{"filters": {`{"dangling":{"true":true}}`}})
	if status != 200 || !strings.Contains(body, `"RepoTags":[]`) || !strings.Contains(body, `"RepoDigests":[]`) || !strings.Contains(body, old.Digest.String()) {
		t.Errorf("list of dangling images: %d %s", status, body)
	}
}
