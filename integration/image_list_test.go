package integration

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// TestImageListManifests lists a multi-platform image (one platform pulled,
// with attestations) with manifests=1: every manifest of the index is
// there, with its kind, availability and sizes; ImageData is set for every
// image manifest and AttestationData for every attestation.
func TestImageListManifests(t *testing.T) {
	t.Parallel()
	e := newImgEnv(t)
	idx, err := fixtures.PushIndex(e.ctx, e.reg.Host(), "multi", "v1", fixtures.Index{
		Manifests:    fixtures.Platforms("linux/amd64", "linux/arm64"),
		Attestations: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.pull(e.ref("multi", "v1"), nil)

	res, err := e.api.ImageList(e.ctx, client.ImageListOptions{Manifests: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 1 {
		t.Fatalf("%d images listed, want 1", len(res.Items))
	}
	sum := res.Items[0]
	if sum.ID != idx.Digest.String() || sum.Descriptor == nil || sum.Descriptor.Digest != idx.Digest {
		t.Errorf("ID %s Descriptor %v, want the index %s", sum.ID, sum.Descriptor, idx.Digest)
	}
	if sum.SharedSize != -1 || sum.Containers != 0 || sum.Labels == nil {
		t.Errorf("SharedSize %d Containers %d Labels %v, want -1, 0, non-nil", sum.SharedSize, sum.Containers, sum.Labels)
	}
	if len(sum.Manifests) != 4 {
		t.Fatalf("%d manifests, want 2 images + 2 attestations: %+v", len(sum.Manifests), sum.Manifests)
	}
	amd, arm := idx.Image("linux/amd64"), idx.Image("linux/arm64")
	var total int64
	for _, m := range sum.Manifests {
		switch m.ID {
		case amd.Digest.String():
			content := int64(len(amd.Manifest) + len(amd.Config) + len(amd.Layers[0].Blob))
			if m.Kind != imagetypes.ManifestKindImage || !m.Available || m.ImageData == nil ||
				m.ImageData.Platform.Architecture != "amd64" || m.Size.Content != content ||
				m.ImageData.Size.Unpacked <= 0 || m.Size.Total != content+m.ImageData.Size.Unpacked {
				t.Errorf("amd64 manifest %+v (ImageData %+v), want an available image of content %d plus its unpacked size", m, m.ImageData, content)
			}
			total = m.Size.Total
		case arm.Digest.String():
			if m.Kind != imagetypes.ManifestKindImage || m.Available || m.ImageData == nil ||
				m.ImageData.Platform.Architecture != "arm64" || m.Size.Total != 0 {
				t.Errorf("arm64 manifest %+v, want an unavailable image manifest of size 0", m)
			}
		default:
			if m.Kind != imagetypes.ManifestKindAttestation || m.AttestationData == nil || m.ImageData != nil {
				t.Errorf("manifest %+v, want an attestation", m)
				continue
			}
			if m.AttestationData.For != amd.Digest && m.AttestationData.For != arm.Digest {
				t.Errorf("attestation for %s, want one of the image manifests", m.AttestationData.For)
			}
			total += m.Size.Total
		}
	}
	if sum.Size != total {
		t.Errorf("Size %d, want the manifests' total %d", sum.Size, total)
	}

	// Without manifests=1 the list carries none.
	res, err = e.api.ImageList(e.ctx, client.ImageListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 1 || res.Items[0].Manifests != nil {
		t.Errorf("list without manifests: %+v", res.Items)
	}
}

// TestImageListSharedSize lists two images sharing a base layer with
// shared-size: each reports the shared layer's usage.
func TestImageListSharedSize(t *testing.T) {
	t.Parallel()
	e := newImgEnv(t)
	base := fixtures.Layer{Seed: 90, Size: 200 << 10}
	e.pushPull("s/a", "1", fixtures.Image{Layers: []fixtures.Layer{base, {Seed: 91}}})
	e.pushPull("s/b", "1", fixtures.Image{Layers: []fixtures.Layer{base, {Seed: 92}}})
	e.pushPull("s/c", "1", fixtures.Image{Layers: []fixtures.Layer{{Seed: 93}}})

	res, err := e.api.ImageList(e.ctx, client.ImageListOptions{SharedSize: true})
	if err != nil {
		t.Fatal(err)
	}
	shared := map[string]int64{}
	for _, s := range res.Items {
		shared[strings.TrimPrefix(s.RepoTags[0], e.reg.Host()+"/")] = s.SharedSize
	}
	if shared["s/a:1"] < 200<<10 || shared["s/a:1"] != shared["s/b:1"] || shared["s/c:1"] != 0 {
		t.Errorf("shared sizes %v, want a = b = the base layer's usage (≥ 200KiB), c = 0", shared)
	}
}

// TestImageListBadFilters sends malformed and unknown filters past the
// client's own checks.
func TestImageListBadFilters(t *testing.T) {
	t.Parallel()
	e := newImgEnv(t)
	for _, tc := range []struct {
		filters string
		status  int
		want    string
	}{
		{`{"dangling":`, 400, "invalid filter"},
		{`["dangling"]`, 400, "invalid filter"},
		{`{"color":{"red":true}}`, 400, "invalid filter 'color'"},
		{`{"dangling":{"yes":true}}`, 400, "invalid filter 'dangling=yes'"},
		{`{"label":{"k=` + strings.Repeat("v", 5000) + `":true}}`, 400, "invalid filter 'label="},
		{`{"until":{"later":true}}`, 400, "invalid filter 'until=later'"},
		{`{"before":{"nope":true}}`, 404, "No such image: nope:latest"},
	} {
		status, body := e.raw("GET", "/images/json", url.Values{"filters": {tc.filters}})
		var msg struct{ Message string }
		_ = json.Unmarshal([]byte(body), &msg)
		if status != tc.status || !strings.Contains(msg.Message, tc.want) {
			t.Errorf("filters %.60s: %d %.200s, want %d %q", tc.filters, status, body, tc.status, tc.want)
		}
	}
}
