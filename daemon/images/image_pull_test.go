package images

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"

	"github.com/berth-dev/berth/api/types/backend"
	"github.com/berth-dev/berth/distribution"
	"github.com/berth-dev/berth/testutil/fixtures"
	"github.com/berth-dev/berth/testutil/registry"
)

// pullTestService is an image service that reaches reg over plain HTTP;
// env is its environment.
func pullTestService(t *testing.T, reg *registry.Registry, env map[string]string) *ImageService {
	return newTestServiceWith(t, Config{
		Registries: distribution.New(distribution.Config{InsecureRegistries: []string{reg.Host()}}),
		Env:        func(k string) string { return env[k] },
	})
}

// unpackingPullEnv is what a test pulling into the real store needs: root
// (unpacking mounts snapshots) and a registry.
func unpackingPullEnv(t *testing.T) (context.Context, *registry.Registry) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: unpacking mounts snapshots")
	}
	return context.Background(), registry.Start(t)
}

// TestResolvePull: what the registry serves picks the format; schema 1
// needs the gate; an unknown tag fails to resolve with not found.
func TestResolvePull(t *testing.T) {
	ctx := context.Background()
	reg := registry.Start(t)
	built, err := fixtures.Push(ctx, reg.Host(), "team/app", "1", fixtures.Image{Layers: []fixtures.Layer{{Seed: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fixtures.NewClient(reg.Host()).PushSchema1(ctx, "team/old", fixtures.Schema1Image{Layers: []fixtures.Layer{{Seed: 2}}}, reg, "1"); err != nil {
		t.Fatal(err)
	}
	named := func(s string) reference.Named {
		ref, err := reference.ParseNormalizedNamed(reg.Host() + "/" + s)
		if err != nil {
			t.Fatal(err)
		}
		return ref
	}
	platform := platforms.DefaultSpec()
	out := &progressLines{}

	s := pullTestService(t, reg, nil)
	format, err := s.resolvePull(ctx, named("team/app:1"), platform, backend.PullOptions{}, out)
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := format.(*schema2Pull); !ok || p.root.Digest != built.Digest {
		t.Fatalf("team/app:1 resolved to %#v, want the schema 2 format at %s", format, built.Digest)
	}

	_, err = s.resolvePull(ctx, named("team/old:1"), platform, backend.PullOptions{}, out)
	if !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), "[DEPRECATION NOTICE]") {
		t.Fatalf("schema 1 without the gate: %v", err)
	}
	gated := pullTestService(t, reg, map[string]string{schema1Gate: "1"})
	format, err = gated.resolvePull(ctx, named("team/old:1"), platform, backend.PullOptions{}, out)
	if _, ok := format.(*schema1Pull); err != nil || !ok {
		t.Fatalf("schema 1 with the gate resolved to %#v, %v", format, err)
	}

	_, err = s.resolvePull(ctx, named("team/app:nope"), platform, backend.PullOptions{}, out)
	if !errdefs.IsNotFound(err) || !strings.HasPrefix(err.Error(), "failed to resolve reference") {
		t.Fatalf("unknown tag: %v", err)
	}
}

// TestPullPipeline pulls an image twice through the whole pipeline into the
// real store: the first pull names it, the second finds it up to date.
func TestPullPipeline(t *testing.T) {
	ctx, reg := unpackingPullEnv(t)
	built, err := fixtures.Push(ctx, reg.Host(), "team/app", "1", fixtures.Image{Layers: []fixtures.Layer{{Seed: 1}, {Seed: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	s := pullTestService(t, reg, nil)
	opts := backend.PullOptions{Image: reg.Host() + "/team/app", Tag: "1"}
	statusLines := func(out *progressLines) []string {
		var status []string
		for _, l := range out.take() {
			if strings.HasPrefix(l, " ") {
				status = append(status, strings.TrimSpace(l))
			}
		}
		return status
	}

	out := &progressLines{}
	if err := s.PullImage(ctx, opts, out); err != nil {
		t.Fatal(err)
	}
	want := []string{"Digest: " + built.Digest.String(), "Status: Downloaded newer image for " + reg.Host() + "/team/app:1"}
	if got := statusLines(out); !slices.Equal(got, want) {
		t.Fatalf("first pull status %q, want %q", got, want)
	}
	img, err := s.GetImage(ctx, reg.Host()+"/team/app:1")
	if err != nil || img.Target.Digest != built.Digest {
		t.Fatalf("record %+v, %v", img, err)
	}

	if err := s.PullImage(ctx, opts, out); err != nil {
		t.Fatal(err)
	}
	want[1] = "Status: Image is up to date for " + reg.Host() + "/team/app:1"
	if got := statusLines(out); !slices.Equal(got, want) {
		t.Fatalf("second pull status %q, want %q", got, want)
	}
}

// TestPullFetchesBlobOfExistingSnapshot: a layer whose snapshot exists is
// not applied again, but when its blob is gone (what held the snapshot was
// not an image: here a lease) the pull still fetches the blob, so the image
// it names has every blob (save and push read them).
func TestPullFetchesBlobOfExistingSnapshot(t *testing.T) {
	ctx, reg := unpackingPullEnv(t)
	base := fixtures.Layer{Seed: 31}
	a, err := fixtures.Push(ctx, reg.Host(), "team/a", "1", fixtures.Image{Layers: []fixtures.Layer{base, {Seed: 32}}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := fixtures.Push(ctx, reg.Host(), "team/c", "1", fixtures.Image{Layers: []fixtures.Layer{base, {Seed: 33}}})
	if err != nil {
		t.Fatal(err)
	}
	s := pullTestService(t, reg, nil)
	if err := s.PullImage(ctx, backend.PullOptions{Image: reg.Host() + "/team/a", Tag: "1"}, &progressLines{}); err != nil {
		t.Fatal(err)
	}
	// The base layer's snapshot is held by a lease; a is removed, and the
	// base blob with it.
	held, done, err := s.startOperationLease(ctx, "load")
	if err != nil {
		t.Fatal(err)
	}
	defer done(false)
	if _, err := s.leaseLayers(held, nil, []digest.Digest{a.Layers[0].DiffID}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ImageDelete(ctx, reg.Host()+"/team/a:1", backend.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.content.Info(ctx, a.Layers[0].Digest); !errdefs.IsNotFound(err) {
		t.Fatalf("the base blob after removing a: %v; want it gone (the test proves nothing)", err)
	}
	if _, err := s.snapshotService().Stat(ctx, a.Layers[0].DiffID.String()); err != nil {
		t.Fatalf("the leased base snapshot: %v", err)
	}

	if err := s.PullImage(ctx, backend.PullOptions{Image: reg.Host() + "/team/c", Tag: "1"}, &progressLines{}); err != nil {
		t.Fatal(err)
	}
	for _, d := range append(c.LayerDigests(), c.Digest, c.ConfigDigest) {
		if _, err := s.content.Info(ctx, d); err != nil {
			t.Errorf("blob %s of the pulled image: %v", d, err)
		}
	}
}

// TestRepullWritesLittle: re-pulling a present, up-to-date image of five
// layers prepares no snapshot and relabels no blob: it makes its lease,
// leases the image's content (a level of its tree per write, the
// snapshots with the layers), updates the record (as containerd does,
// moving LastTagTime) and drops the lease — six metadata writes, where
// containerd's unpacker alone made one per layer.
func TestRepullWritesLittle(t *testing.T) {
	ctx, reg := unpackingPullEnv(t)
	img := fixtures.Image{}
	for i := range 5 {
		img.Layers = append(img.Layers, fixtures.Layer{Seed: int64(40 + i)})
	}
	if _, err := fixtures.Push(ctx, reg.Host(), "team/again", "1", img); err != nil {
		t.Fatal(err)
	}
	s := pullTestService(t, reg, nil)
	opts := backend.PullOptions{Image: reg.Host() + "/team/again", Tag: "1"}
	if err := s.PullImage(ctx, opts, &progressLines{}); err != nil {
		t.Fatal(err)
	}
	writes, _, _ := s.storage.Generations()
	snaps, _ := s.storage.SnapshotGeneration()
	out := &progressLines{}
	if err := s.PullImage(ctx, opts, out); err != nil {
		t.Fatal(err)
	}
	after, _, _ := s.storage.Generations()
	if n := after - writes; n > 6 {
		t.Errorf("the re-pull made %d metadata writes, want at most 6", n)
	}
	if now, _ := s.storage.SnapshotGeneration(); now != snaps {
		t.Errorf("the re-pull created %d snapshots", now-snaps)
	}
	if lines := strings.Join(out.take(), "\n"); !strings.Contains(lines, "Image is up to date") {
		t.Errorf("re-pull said:\n%s", lines)
	}
}
