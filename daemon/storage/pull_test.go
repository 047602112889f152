package storage

import (
	"context"
	"encoding/json"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/containerd/v2/plugins/snapshots/overlay/overlayutils"
	digest "github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/semaphore"

	"github.com/berth-dev/berth/testutil/fixtures"
	testregistry "github.com/berth-dev/berth/testutil/registry"
)

// TestEmbeddedPullParallelUnpack pulls a two-layer image with client.Pull
// and unpack (parallel, via the introspection service's rebase capability
// for overlayfs) and checks the files of both layers.
func TestEmbeddedPullParallelUnpack(t *testing.T) {
	for _, sn := range []string{SnapshotterOverlay, SnapshotterNative} {
		t.Run(sn, func(t *testing.T) {
			requireRoot(t)
			root := t.TempDir()
			if sn == SnapshotterOverlay {
				if err := overlayutils.Supported(filepath.Join(root, "probe")); err != nil {
					t.Skipf("overlayfs not supported here (overlayutils.Supported: %v)", err)
				}
			}
			reg := testregistry.Start(t)
			push := fixtures.NewClient(reg.Host())
			ctx := context.Background()
			const repo = "test/pull"
			l1, d1 := layerTarGz(t, map[string]string{"etc/one": "1\n", "etc/shared": "from one\n"})
			l2, d2 := layerTarGz(t, map[string]string{"etc/two": "2\n", "etc/shared": "from two\n"})
			cfg, _ := json.Marshal(ocispec.Image{
				Platform: ocispec.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH},
				RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{d1, d2}},
			})
			desc := func(mt string, b []byte) ocispec.Descriptor {
				if _, err := push.PushBlob(ctx, repo, b); err != nil {
					t.Fatal(err)
				}
				return ocispec.Descriptor{MediaType: mt, Digest: digest.FromBytes(b), Size: int64(len(b))}
			}
			manifest, _ := json.Marshal(ocispec.Manifest{
				Versioned: specs.Versioned{SchemaVersion: 2},
				MediaType: ocispec.MediaTypeImageManifest,
				Config:    desc(ocispec.MediaTypeImageConfig, cfg),
				Layers:    []ocispec.Descriptor{desc(ocispec.MediaTypeImageLayerGzip, l1), desc(ocispec.MediaTypeImageLayerGzip, l2)},
			})
			if _, err := push.PushManifest(ctx, repo, "latest", ocispec.MediaTypeImageManifest, manifest); err != nil {
				t.Fatal(err)
			}

			s := openEmbeddedForTest(t, root, sn)
			c := s.Client()
			resolver := docker.NewResolver(docker.ResolverOptions{
				Hosts: docker.ConfigureDefaultRegistries(docker.WithPlainHTTP(docker.MatchAllHosts)),
			})
			ref := reg.Host() + "/" + repo + ":latest"
			img, err := c.Pull(ctx, ref,
				client.WithResolver(resolver),
				client.WithPullUnpack,
				client.WithPullSnapshotter(s.Snapshotter()),
				client.WithUnpackOpts([]client.UnpackOpt{client.WithUnpackLimiter(semaphore.NewWeighted(2))}),
			)
			if err != nil {
				t.Fatalf("pull: %v", err)
			}
			if img.Target().Digest != digest.FromBytes(manifest) {
				t.Errorf("image target %s, want the registry's manifest digest", img.Target().Digest)
			}
			chainID := identity.ChainID([]digest.Digest{d1, d2}).String()
			for file, want := range map[string]string{"etc/one": "1\n", "etc/two": "2\n", "etc/shared": "from two\n"} {
				if got := readSnapshotFile(t, ctx, c, s.Snapshotter(), chainID, file); got != want {
					t.Errorf("%s = %q, want %q", file, got, want)
				}
			}
			if err := c.ImageService().Delete(ctx, img.Name(), images.SynchronousDelete()); err != nil {
				t.Fatalf("delete: %v", err)
			}
			assertBlobFiles(t, filepath.Join(root, "content"), []ocispec.Descriptor{img.Target()}, false)
		})
	}
}
