package integration

import (
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// keysOf returns the sorted keys of a JSON object.
func keysOf(t *testing.T, body []byte) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestDiskUsageSDK checks the Go SDK's DiskUsage against the image list:
// the same images and sizes, the shared base layer counted once in the
// total, everything reclaimable, and empty other sections.
func TestDiskUsageSDK(t *testing.T) {
	t.Parallel()
	e := newImgEnv(t)
	base := fixtures.Layer{Seed: 290, Size: 200 << 10}
	e.pushPull("du/a", "1", fixtures.Image{Layers: []fixtures.Layer{base, {Seed: 291}}})
	e.pushPull("du/b", "1", fixtures.Image{Layers: []fixtures.Layer{base, {Seed: 292}}})
	e.pushPull("du/c", "1", seedImage(293))

	list, err := e.api.ImageList(e.ctx, client.ImageListOptions{SharedSize: true})
	if err != nil {
		t.Fatal(err)
	}
	du, err := e.api.DiskUsage(e.ctx, client.DiskUsageOptions{Images: true, Containers: true, Volumes: true, BuildCache: true, Verbose: true})
	if err != nil {
		t.Fatal(err)
	}
	img := du.Images
	var sizes, reclaimable, shared int64
	for _, s := range list.Items {
		sizes += s.Size
		reclaimable += s.Size - s.SharedSize
		if strings.HasSuffix(s.RepoTags[0], "/du/a:1") {
			shared = s.SharedSize
		}
	}
	if shared < 200<<10 {
		t.Fatalf("du/a SharedSize %d, want at least the base layer", shared)
	}
	if img.TotalCount != 3 || img.ActiveCount != 0 || img.TotalSize != sizes-shared || img.Reclaimable != reclaimable {
		t.Errorf("images usage %+v, want 3 images, 0 active, total %d (sizes less the shared layer once), reclaimable %d",
			img, sizes-shared, reclaimable)
	}
	if len(img.Items) != len(list.Items) {
		t.Fatalf("%d items, want %d", len(img.Items), len(list.Items))
	}
	for i, it := range img.Items {
		l := list.Items[i]
		if it.ID != l.ID || it.Size != l.Size || it.SharedSize != l.SharedSize || it.Containers != 0 {
			t.Errorf("item %d = %s size %d shared %d containers %d, want %s %d %d 0", i, it.ID, it.Size, it.SharedSize, it.Containers, l.ID, l.Size, l.SharedSize)
		}
	}
	if du.Containers.TotalCount != 0 || du.Volumes.TotalCount != 0 || du.BuildCache.TotalCount != 0 {
		t.Errorf("other sections %+v %+v %+v, want empty", du.Containers, du.Volumes, du.BuildCache)
	}

	// An old client reads the legacy shape into the same figures.
	old, err := client.New(client.WithHost(e.d.Host()), client.WithVersion("1.44"))
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	du44, err := old.DiskUsage(e.ctx, client.DiskUsageOptions{Images: true})
	if err != nil {
		t.Fatal(err)
	}
	if du44.Images.TotalSize != img.TotalSize || du44.Images.TotalCount != 3 || du44.Images.Reclaimable != img.Reclaimable {
		t.Errorf("API 1.44 images usage %+v, want the same figures as %+v", du44.Images, img)
	}
}

// TestDiskUsageAPIShapes checks the response shape of each API version.
func TestDiskUsageAPIShapes(t *testing.T) {
	t.Parallel()
	e := newImgEnv(t)
	e.pushPull("shape/a", "1", seedImage(294))
	legacy := []string{"BuildCache", "Containers", "Images", "LayersSize", "Volumes"}
	current := []string{"BuildCacheUsage", "ContainerUsage", "ImageUsage", "VolumeUsage"}
	both := append(slices.Clone(legacy), current...)
	sort.Strings(both)
	for _, tc := range []struct {
		version, path string
		keys          []string
		virtualSize   bool
	}{
		{"1.41", "/system/df?type=bogus", legacy, true}, // type is ignored before 1.42
		{"1.43", "/system/df", legacy, true},
		{"1.44", "/system/df", legacy, false},
		{"1.44", "/system/df?type=image", []string{"Images", "LayersSize"}, false},
		{"1.51", "/system/df?type=container&type=volume", []string{"Containers", "Volumes"}, false},
		{"1.52", "/system/df", both, false},
		{"1.56", "/system/df", both, false},
		{"1.56", "/system/df?verbose=1", current, false},
		{"1.56", "/system/df?verbose=1&type=image", []string{"ImageUsage"}, false},
	} {
		status, body := e.at(tc.version, http.MethodGet, tc.path, nil)
		if status != http.StatusOK {
			t.Errorf("v%s %s: %d %s", tc.version, tc.path, status, body)
			continue
		}
		if keys := keysOf(t, body); !slices.Equal(keys, tc.keys) {
			t.Errorf("v%s %s: keys %v, want %v", tc.version, tc.path, keys, tc.keys)
		}
		var resp struct {
			Images     []map[string]any
			Containers []any
			ImageUsage *struct {
				TotalCount int64
				Items      []map[string]any
			}
			ContainerUsage map[string]any
		}
		if err := json.Unmarshal(body, &resp); err != nil {
			t.Fatal(err)
		}
		if slices.Contains(tc.keys, "Images") {
			if len(resp.Images) != 1 {
				t.Errorf("v%s %s: %d images, want 1", tc.version, tc.path, len(resp.Images))
			} else if _, has := resp.Images[0]["VirtualSize"]; has != tc.virtualSize || (has && resp.Images[0]["VirtualSize"] != resp.Images[0]["Size"]) {
				t.Errorf("v%s: image %v: VirtualSize present = %v, want %v (equal to Size)", tc.version, resp.Images[0], has, tc.virtualSize)
			}
		}
		if slices.Contains(tc.keys, "Containers") && resp.Containers == nil {
			t.Errorf("v%s %s: Containers is not an empty list: %s", tc.version, tc.path, body)
		}
		if slices.Contains(tc.keys, "ImageUsage") && (resp.ImageUsage.TotalCount != 1 || len(resp.ImageUsage.Items) != 1) {
			t.Errorf("v%s %s: ImageUsage %+v, want one image with its item", tc.version, tc.path, resp.ImageUsage)
		}
		if slices.Contains(tc.keys, "ContainerUsage") && len(resp.ContainerUsage) != 0 {
			t.Errorf("v%s %s: ContainerUsage %v, want {}", tc.version, tc.path, resp.ContainerUsage)
		}
	}

	status, body := e.at("1.44", http.MethodGet, "/system/df?type=bogus", nil)
	if status != http.StatusBadRequest || !strings.Contains(string(body), "unknown object type: bogus") {
		t.Errorf("type=bogus: %d %s, want 400 unknown object type: bogus", status, body)
	}
}
