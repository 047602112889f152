package integration

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"net/url"
	"strconv"
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// tarFiles reads a tar into name → content.
func tarFiles(t *testing.T, r io.Reader) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("read saved tar: %v", err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[hdr.Name] = b
	}
}

func (e *imgEnv) save(names []string, opts ...client.ImageSaveOption) ([]byte, error) {
	e.t.Helper()
	rc, err := e.api.ImageSave(e.ctx, names, opts...)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// TestImageSavePlatformsAPI saves a two-platform image whole, for one
// platform (its manifest replaces the index), for both (the index stays,
// and so the ID), and for a platform it lacks (404 before any byte).
func TestImageSavePlatformsAPI(t *testing.T) {
	t.Parallel()
	e := newImgEnv(t)
	idx, err := fixtures.PushIndex(e.ctx, e.reg.Host(), "multi", "v1", fixtures.Index{
		Manifests: fixtures.Platforms("linux/amd64", "linux/arm64"),
	})
	if err != nil {
		t.Fatal(err)
	}
	ref := e.ref("multi", "v1")
	amd64 := ocispec.Platform{OS: "linux", Architecture: "amd64"}
	arm64 := ocispec.Platform{OS: "linux", Architecture: "arm64"}
	e.pull(ref, &arm64)
	// Only arm64 here: manifest.json (one manifest per image) takes it, as
	// the host's amd64 is absent.
	data, err := e.save([]string{ref})
	if err != nil {
		t.Fatal(err)
	}
	var mfs []struct{ Config string }
	if err := json.Unmarshal(tarFiles(t, bytes.NewReader(data))["manifest.json"], &mfs); err != nil || len(mfs) != 1 ||
		mfs[0].Config != "blobs/sha256/"+idx.Image("linux/arm64").ConfigDigest.Encoded() {
		t.Errorf("manifest.json of an arm64-only pull: %+v (%v)", mfs, err)
	}
	e.pull(ref, &amd64)

	index := func(data []byte) ocispec.Index {
		var i ocispec.Index
		if err := json.Unmarshal(tarFiles(t, bytes.NewReader(data))["index.json"], &i); err != nil || len(i.Manifests) != 1 {
			t.Fatalf("index.json: %v, %d entries", err, len(i.Manifests))
		}
		return i
	}
	data, err = e.save([]string{ref}, client.ImageSaveWithPlatforms(arm64))
	if err != nil {
		t.Fatal(err)
	}
	arm := idx.Image("linux/arm64")
	if got := index(data).Manifests[0].Digest; got != arm.Digest {
		t.Errorf("saved arm64 only: index.json names %s, want the arm64 manifest %s", got, arm.Digest)
	}
	files := tarFiles(t, bytes.NewReader(data))
	if _, ok := files["blobs/sha256/"+idx.Image("linux/amd64").ConfigDigest.Encoded()]; ok {
		t.Error("the arm64 save holds the amd64 config")
	}
	data, err = e.save([]string{ref}, client.ImageSaveWithPlatforms(amd64, arm64))
	if err != nil {
		t.Fatal(err)
	}
	if got := index(data).Manifests[0].Digest; got != idx.Digest {
		t.Errorf("saved both platforms: index.json names %s, want the index %s", got, idx.Digest)
	}
	_, err = e.save([]string{ref}, client.ImageSaveWithPlatforms(ocispec.Platform{OS: "linux", Architecture: "s390x"}))
	if !cerrdefs.IsNotFound(err) || !strings.Contains(err.Error(), "does not provide the specified platform (linux/s390x)") {
		t.Errorf("save of a missing platform: %v", err)
	}
	if _, err := e.save([]string{"nope:1"}); !cerrdefs.IsNotFound(err) || !strings.Contains(err.Error(), "No such image: nope:1") {
		t.Errorf("save of a missing image: %v", err)
	}
	q := url.Values{"names": {ref}, "platform": {`{"os":"linux","architecture":"amd64"}`, `{"os":"linux","architecture":"arm64"}`}}
	if status, body := e.raw("GET", "/images/get", q); status != 400 || !strings.Contains(body, "use API version 1.52 or later") {
		t.Errorf("two platforms at API 1.50: %d %s", status, body)
	}
}

// TestImageLoadProgressAndPlatformAPI loads without quiet: "Loading layer"
// progress by diff ID, then the name; a platform the archive lacks is a
// 404 and loads nothing.
func TestImageLoadProgressAndPlatformAPI(t *testing.T) {
	t.Parallel()
	e := newImgEnv(t)
	b := e.pushPull("loadme", "1", fixtures.Image{
		Layers: []fixtures.Layer{{Seed: 901, Size: 2 << 20}, {Seed: 902, Size: 64 << 10}},
	})
	ref := e.ref("loadme", "1")
	data, err := e.save([]string{ref})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.api.ImageRemove(e.ctx, ref, client.ImageRemoveOptions{}); err != nil {
		t.Fatal(err)
	}

	_, err = e.api.ImageLoad(e.ctx, bytes.NewReader(data), client.ImageLoadWithPlatforms(ocispec.Platform{OS: "linux", Architecture: "s390x"}))
	if !cerrdefs.IsNotFound(err) || !strings.Contains(err.Error(), "doesn't provide the requested platform ([linux/s390x])") {
		t.Errorf("load for a missing platform: %v", err)
	}
	if list, err := e.api.ImageList(e.ctx, client.ImageListOptions{}); err != nil || len(list.Items) != 0 {
		t.Errorf("images after the refused load: %v %v", list, err)
	}

	rc, err := e.api.ImageLoad(e.ctx, bytes.NewReader(data), client.ImageLoadWithQuiet(false))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(rc)
	rc.Close()
	for _, l := range b.Layers {
		want := `"status":"Loading layer","progressDetail":{"current":` + strconv.FormatInt(l.Size, 10) + `,"total":` + strconv.FormatInt(l.Size, 10) + `},"id":"` + l.DiffID.Encoded()[:12] + `"`
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("load stream lacks %s:\n%s", want, out)
		}
	}
	if !bytes.HasSuffix(out, []byte(`{"stream":"Loaded image: `+ref+`\n"}`+"\r\n")) {
		t.Errorf("load stream does not end with the loaded name:\n%s", out)
	}
	res, err := e.api.ImageInspect(e.ctx, ref)
	if err != nil || res.ID != b.Digest.String() {
		t.Errorf("inspect after load: %v %v, want %s", res.ID, err, b.Digest)
	}
}
