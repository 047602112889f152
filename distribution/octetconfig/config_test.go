package octetconfig

import (
	"context"
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/daemon/storage"
	"github.com/berth-dev/berth/testutil/fixtures"
	"github.com/berth-dev/berth/testutil/registry"
)

func TestConfigTypeWrapper(t *testing.T) {
	octet := ocispec.Descriptor{MediaType: "application/octet-stream", Digest: digest.FromString("c")}
	layer := ocispec.Descriptor{MediaType: images.MediaTypeDockerSchema2LayerGzip, Digest: digest.FromString("l")}
	ociLayer := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: digest.FromString("o")}
	referrer := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromString("r"),
		Annotations: map[string]string{images.AnnotationManifestSubject: "x"}}
	helm := ocispec.Descriptor{MediaType: "application/vnd.cncf.helm.chart.content.v1.tar+gzip", Digest: digest.FromString("h")}
	docker2 := ocispec.Descriptor{MediaType: images.MediaTypeDockerSchema2Manifest}
	oci := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest}
	index := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageIndex}

	for name, c := range map[string]struct {
		parent   ocispec.Descriptor
		children []ocispec.Descriptor
		rewrite  bool
	}{
		"docker image":        {docker2, []ocispec.Descriptor{octet, layer, layer}, true},
		"oci image":           {oci, []ocispec.Descriptor{octet, ociLayer}, true},
		"no layers":           {docker2, []ocispec.Descriptor{octet}, true},
		"with referrer":       {docker2, []ocispec.Descriptor{octet, layer, referrer}, true},
		"artifact":            {oci, []ocispec.Descriptor{octet, helm}, false},
		"known config":        {docker2, []ocispec.Descriptor{{MediaType: images.MediaTypeDockerSchema2Config}, layer}, false},
		"index":               {index, []ocispec.Descriptor{octet, layer}, false},
		"octet-stream layer":  {docker2, []ocispec.Descriptor{{MediaType: images.MediaTypeDockerSchema2Config}, octet}, false},
		"no children at all":  {docker2, nil, false},
		"config not first":    {docker2, []ocispec.Descriptor{layer, octet}, false},
		"layer of the config": {octet, nil, false},
	} {
		t.Run(name, func(t *testing.T) {
			in := slices.Clone(c.children)
			h := ConfigTypeWrapper(images.HandlerFunc(func(context.Context, ocispec.Descriptor) ([]ocispec.Descriptor, error) {
				return in, nil
			}))
			out, err := h.Handle(context.Background(), c.parent)
			if err != nil {
				t.Fatal(err)
			}
			want := slices.Clone(c.children)
			if c.rewrite {
				want[0].MediaType = images.MediaTypeDockerSchema2Config
			}
			if len(out) != len(want) {
				t.Fatalf("children %v", out)
			}
			for i := range want {
				if out[i].MediaType != want[i].MediaType || out[i].Digest != want[i].Digest {
					t.Fatalf("child %d = %+v, want %+v", i, out[i], want[i])
				}
			}
			if len(in) > 0 && in[0].MediaType != c.children[0].MediaType {
				t.Fatal("the inner handler's slice was modified")
			}
		})
	}

	boom := errors.New("boom")
	_, err := ConfigTypeWrapper(images.HandlerFunc(func(context.Context, ocispec.Descriptor) ([]ocispec.Descriptor, error) {
		return nil, boom
	})).Handle(context.Background(), docker2)
	if !errors.Is(err, boom) {
		t.Fatalf("error %v", err)
	}
}

// TestPullOctetStreamConfig pulls a docker 1.10-era image (config media
// type application/octet-stream) from the real registry into the embedded
// containerd stack with unpack. Without the wrapper the pull fails; with
// it the image keeps the registry's manifest digest and is unpacked.
func TestPullOctetStreamConfig(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the embedded stack mounts snapshots")
	}
	ctx := context.Background()
	reg := registry.Start(t)
	built, err := fixtures.Push(ctx, reg.Host(), "legacy/docker110", "latest", fixtures.Image{
		ConfigMediaType: docker.LegacyConfigMediaType,
		Layers: []fixtures.Layer{
			{Files: []fixtures.File{{Path: "etc/one", Content: []byte("1\n")}}},
			{Files: []fixtures.File{{Path: "etc/two", Content: []byte("2\n")}}},
		},
		Cmd: []string{"cat", "/etc/two"},
		Env: []string{"PATH=/bin", "A=b"},
	})
	if err != nil {
		t.Fatal(err)
	}
	ref := reg.Host() + "/legacy/docker110:latest"
	resolver := func() remotes.Resolver {
		return docker.NewResolver(docker.ResolverOptions{
			Hosts: docker.ConfigureDefaultRegistries(docker.WithPlainHTTP(docker.MatchAllHosts)),
		})
	}
	open := func() *storage.Storage {
		st, err := storage.Open(ctx, storage.Options{Root: t.TempDir(), Snapshotter: storage.SnapshotterNative})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}

	t.Run("without the wrapper", func(t *testing.T) {
		st := open()
		_, err := st.Client().Pull(ctx, ref, client.WithPullUnpack,
			client.WithPullSnapshotter(st.Snapshotter()), client.WithResolver(resolver()))
		if err == nil {
			t.Fatal("pull with unpack succeeded: containerd no longer needs the wrapper (containerd#10628 fixed?)")
		}
		t.Logf("pull without the wrapper fails as expected: %v", err)
	})

	t.Run("with the wrapper, no unpack", func(t *testing.T) {
		// client.Pull's ConvertManifest path must not fire either.
		st := open()
		img, err := st.Client().Pull(ctx, ref, client.WithResolver(resolver()),
			client.WithImageHandlerWrapper(ConfigTypeWrapper))
		if err != nil {
			t.Fatal(err)
		}
		if img.Target().Digest != built.Digest {
			t.Fatalf("target %s, want the registry's manifest %s", img.Target().Digest, built.Digest)
		}
		for _, l := range built.Layers {
			if _, err := st.Client().ContentStore().Info(ctx, l.Digest); err != nil {
				t.Fatalf("layer %s: %v", l.Digest, err)
			}
		}
	})

	t.Run("with the wrapper", func(t *testing.T) {
		st := open()
		c := st.Client()
		img, err := c.Pull(ctx, ref, client.WithPullUnpack,
			client.WithPullSnapshotter(st.Snapshotter()), client.WithResolver(resolver()),
			client.WithImageHandlerWrapper(ConfigTypeWrapper))
		if err != nil {
			t.Fatal(err)
		}
		if img.Target().Digest != built.Digest || img.Target().MediaType != images.MediaTypeDockerSchema2Manifest {
			t.Fatalf("target %+v, want the registry's manifest %s", img.Target(), built.Digest)
		}
		diffIDs, err := img.RootFS(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := []digest.Digest{built.Layers[0].DiffID, built.Layers[1].DiffID}; !slices.Equal(diffIDs, want) {
			t.Fatalf("diff IDs %v, want %v", diffIDs, want)
		}
		if ok, err := img.IsUnpacked(ctx, st.Snapshotter()); err != nil || !ok {
			t.Fatalf("IsUnpacked = %v, %v", ok, err)
		}
		chainID := identity.ChainID(diffIDs).String()
		if _, err := c.SnapshotService(st.Snapshotter()).Stat(ctx, chainID); err != nil {
			t.Fatalf("snapshot %s: %v", chainID, err)
		}

		// Inspect side: the manifest is the registry's (octet-stream config)
		// and the config still reads as an image config.
		mf, err := images.Manifest(ctx, c.ContentStore(), img.Target(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if mf.Config.MediaType != docker.LegacyConfigMediaType || mf.Config.Digest != built.ConfigDigest {
			t.Fatalf("stored manifest config %+v", mf.Config)
		}
		spec, err := img.Spec(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(spec.Config.Cmd, []string{"cat", "/etc/two"}) || !slices.Contains(spec.Config.Env, "A=b") || len(spec.History) == 0 {
			t.Fatalf("config %+v", spec)
		}
		// Nothing else was written under another manifest digest.
		if _, err := c.ContentStore().Info(ctx, built.Digest); err != nil {
			t.Fatalf("registry manifest not stored: %v", err)
		}
	})
}
