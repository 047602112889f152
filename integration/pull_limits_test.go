package integration

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/testutil/berthd"
	"github.com/berth-dev/berth/testutil/fixtures"
	testregistry "github.com/berth-dev/berth/testutil/registry"
)

// serveDoc serves a generated manifest or index under its digest (and
// tags) from the test registry, without pushing it.
func serveDoc(reg *testregistry.Registry, repo string, g fixtures.Generated, tags ...string) {
	reg.ServeManifestStream(repo, g.MediaType, g.Size, g.Digest, g.Open, tags...)
}

// assertNothingStored checks that what failed (after) left no image and,
// once garbage collection has run, no blob in the content store.
func (e *pullEnv) assertNothingStored(t *testing.T, after string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	list, err := e.api.ImageList(ctx, client.ImageListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 0 {
		t.Errorf("images listed after %s: %+v", after, list.Items)
	}
	deadline := time.Now().Add(15 * time.Second)
	for len(storedBlobs(t, e.d)) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if left := storedBlobs(t, e.d); len(left) > 0 {
		t.Errorf("blobs left in the content store after %s: %v", after, left)
	}
}

// storedBlobs lists the blobs in berthd's content store.
func storedBlobs(t *testing.T, d *berthd.Daemon) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(d.DataRoot(), "containerd", "content", "blobs", "sha256"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// TestPullHostileRegistryLimits pulls what a hostile registry serves to
// exhaust memory and disk — huge manifests (by tag and through an index), a
// huge config, 5,000 nested indexes, 10,000 layers — or manifests naming
// blobs by a malformed digest or a negative size: each pull fails with a
// 400 naming the limit or the descriptor, nothing is stored, and berthd's
// peak RSS stays bounded.
func TestPullHostileRegistryLimits(t *testing.T) {
	t.Parallel()
	e := newPullEnv(t)
	const repo = "hostile/img"
	small := e.push(repo, "small", fixtures.Image{Layers: []fixtures.Layer{{Seed: 7}}})
	smallLayers := []ocispec.Descriptor{small.Layers[0].Descriptor()}
	smallConfig := ocispec.Descriptor{MediaType: small.ConfigMediaType, Digest: small.ConfigDigest, Size: int64(len(small.Config))}

	must := func(g fixtures.Generated, err error) fixtures.Generated {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	// 50 MB by tag: containerd's resolver refuses it (as a not-found).
	serveDoc(e.reg, repo, must(fixtures.PaddedManifest(smallConfig, smallLayers, 50<<20)), "huge")
	// 4.1 MiB by tag: over berth's limit, under containerd's.
	serveDoc(e.reg, repo, must(fixtures.PaddedManifest(smallConfig, smallLayers, 4<<20+100<<10)), "over4m")
	// 50 MB through an index.
	hugeChild := must(fixtures.PaddedManifest(smallConfig, smallLayers, 50<<20))
	serveDoc(e.reg, repo, hugeChild)
	serveDoc(e.reg, repo, fixtures.NestedIndexes(1, hugeChild.Descriptor())[0], "hugeviaindex")
	// A 100 MB config.
	hugeConfig := must(fixtures.PaddedConfig(small.DiffIDs(), 100<<20))
	e.reg.ServeBlob(repo, hugeConfig.Size, hugeConfig.Digest, hugeConfig.Open)
	serveDoc(e.reg, repo, must(fixtures.PaddedManifest(hugeConfig.Descriptor(), smallLayers, 1<<10)), "hugeconfig")
	// 5,000 nested indexes.
	chain := fixtures.NestedIndexes(5000, small.Descriptor())
	for _, idx := range chain {
		serveDoc(e.reg, repo, idx)
	}
	serveDoc(e.reg, repo, chain[0], "deep")
	// 10,000 layers.
	many, manyConfig, manyLayer, err := fixtures.ManyLayers(10000)
	if err != nil {
		t.Fatal(err)
	}
	e.reg.ServeBlob(repo, manyConfig.Size, manyConfig.Digest, manyConfig.Open)
	e.reg.ServeBlob(repo, manyLayer.Size, manyLayer.Digest, manyLayer.Open)
	serveDoc(e.reg, repo, many, "manylayers")
	// A real layer with a negative size, a layer and a config whose digests
	// are malformed.
	negLayer := smallLayers[0]
	negLayer.Size = -5
	negSize := must(fixtures.PaddedManifest(smallConfig, []ocispec.Descriptor{negLayer}, 1<<10))
	serveDoc(e.reg, repo, negSize, "negsize")
	badLayer := smallLayers[0]
	badLayer.Digest = "sha256:zz"
	badDigest := must(fixtures.PaddedManifest(smallConfig, []ocispec.Descriptor{badLayer}, 1<<10))
	serveDoc(e.reg, repo, badDigest, "baddigest")
	badConfig := smallConfig
	badConfig.Digest = "md5:0123"
	badConfigDigest := must(fixtures.PaddedManifest(badConfig, smallLayers, 1<<10))
	serveDoc(e.reg, repo, badConfigDigest, "badconfig")

	for _, c := range []struct{ tag, want string }{
		{"huge", "manifest too large: " + e.reg.Host() + "/" + repo + ":huge is 52428800 bytes, the limit is 4194304 bytes (4 MiB)"},
		{"over4m", "manifest too large: " + e.reg.Host() + "/" + repo + ":over4m is 4296704 bytes"},
		{"hugeviaindex", "manifest too large: " + hugeChild.Digest.String() + " is 52428800 bytes"},
		{"hugeconfig", "image config too large: " + hugeConfig.Digest.String() + " is 104857600 bytes, the limit is 8388608 bytes (8 MiB)"},
		{"deep", "index nesting too deep: " + chain[8].Digest.String() + " is nested more than 8 indexes deep"},
		{"manylayers", "too many layers: the image has 10000 layers, the limit is 500"},
		{"negsize", "invalid image manifest " + negSize.Digest.String() + ": layer 0: blob " + negLayer.Digest.String() + " has a negative size (-5)"},
		{"baddigest", "invalid image manifest " + badDigest.Digest.String() + `: layer 0: invalid digest "sha256:zz": invalid checksum digest length`},
		{"badconfig", "invalid image manifest " + badConfigDigest.Digest.String() + `: config: invalid digest "md5:0123": unsupported digest algorithm`},
	} {
		t.Run(c.tag, func(t *testing.T) {
			msg := e.rawPull(t, pullQuery(e.reg.Host()+"/"+repo, c.tag), "").apiError(t, http.StatusBadRequest)
			if !strings.Contains(msg, c.want) {
				t.Errorf("pull %s: message %q, want it to contain %q", c.tag, msg, c.want)
			}
		})
	}

	e.assertNothingStored(t, "refused pulls")
	// A hostile registry cannot make berthd hold what it serves.
	const maxRSS = 300 << 20
	if rss := mustPeakRSS(t, e.d); rss > maxRSS {
		t.Errorf("berthd peak RSS %d MiB, want < %d MiB", rss>>20, maxRSS>>20)
	} else {
		t.Logf("berthd peak RSS %d MiB over the hostile pulls", rss>>20)
	}
	// The limits refuse nothing real.
	if res := e.rawPull(t, pullQuery(e.reg.Host()+"/"+repo, "small"), ""); res.status != http.StatusOK {
		t.Fatalf("pull of an ordinary image: %d %s", res.status, res.body)
	}
}

// mustPeakRSS is d's peak resident set (VmHWM) in bytes.
func mustPeakRSS(t *testing.T, d *berthd.Daemon) int64 {
	t.Helper()
	n, err := d.PeakRSS()
	if err != nil {
		t.Fatal(err)
	}
	return n
}
