package integrationcli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/berth-dev/berth/testutil/berthd"
	"github.com/berth-dev/berth/testutil/dockercli"
	"github.com/berth-dev/berth/testutil/fixtures"
	"github.com/berth-dev/berth/testutil/registry"
)

// imageEnv is one berthd with its own registry and a docker CLI talking to
// it: what the image management tests need.
type imageEnv struct {
	t   *testing.T
	reg *registry.Registry
	d   *berthd.Daemon
	cli *dockercli.CLI
}

// newImageEnv starts a registry (configured by opts) and a berthd that
// trusts it over plain HTTP.
func newImageEnv(t *testing.T, opts ...registry.Option) *imageEnv {
	t.Helper()
	reg := registry.Start(t, opts...)
	d := berthd.Start(t, "--insecure-registry", reg.Host())
	return &imageEnv{t: t, reg: reg, d: d, cli: dockercli.New(t, d.Host())}
}

// ref is the reference of repo:tag in the test registry.
func (e *imageEnv) ref(repo, tag string) string {
	return e.reg.Host() + "/" + repo + ":" + tag
}

// push builds img and pushes it as repo:tag.
func (e *imageEnv) push(repo, tag string, img fixtures.Image) *fixtures.BuiltImage {
	e.t.Helper()
	return mustPush(e, "push "+repo+":"+tag, func(ctx context.Context) (*fixtures.BuiltImage, error) {
		return fixtures.Push(ctx, e.reg.Host(), repo, tag, img)
	})
}

// pushIndex builds idx and pushes it as repo:tag.
func (e *imageEnv) pushIndex(repo, tag string, idx fixtures.Index) *fixtures.BuiltIndex {
	e.t.Helper()
	return mustPush(e, "push index "+repo+":"+tag, func(ctx context.Context) (*fixtures.BuiltIndex, error) {
		return fixtures.PushIndex(ctx, e.reg.Host(), repo, tag, idx)
	})
}

// mustPush runs push with a minute's timeout and fails the test if it fails.
func mustPush[T any](e *imageEnv, what string, push func(ctx context.Context) (T, error)) T {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b, err := push(ctx)
	if err != nil {
		e.t.Fatalf("%s: %v", what, err)
	}
	return b
}

// pushPull pushes img as repo:tag and pulls it into berthd.
func (e *imageEnv) pushPull(repo, tag string, img fixtures.Image) *fixtures.BuiltImage {
	e.t.Helper()
	b := e.push(repo, tag, img)
	e.cli.MustRun("pull", "-q", e.ref(repo, tag))
	return b
}

// docker runs a command that must succeed and returns its stdout.
func (e *imageEnv) docker(args ...string) string {
	e.t.Helper()
	return e.cli.MustRun(args...).Stdout
}

// dockerFail runs a command that must fail and returns its stderr.
func (e *imageEnv) dockerFail(args ...string) string {
	e.t.Helper()
	res := e.cli.Run(args...)
	if res.ExitCode == 0 {
		e.t.Fatalf("docker %s succeeded, want failure; stdout:\n%s", strings.Join(args, " "), res.Stdout)
	}
	return res.Stderr
}

// inspect returns `docker image inspect` of name, decoded.
func (e *imageEnv) inspect(name string) map[string]any {
	e.t.Helper()
	var out []map[string]any
	if err := json.Unmarshal([]byte(e.docker("image", "inspect", name)), &out); err != nil || len(out) != 1 {
		e.t.Fatalf("image inspect %s: %v (%d results)", name, err, len(out))
	}
	return out[0]
}

// lines splits output into its non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// shortID is the 12 hex digits the CLI shows for an image ID.
func shortID(d digest.Digest) string {
	return d.Encoded()[:12]
}

// smallImage is a one-layer image whose content depends on seed.
func smallImage(seed int64) fixtures.Image {
	return fixtures.Image{
		Layers: []fixtures.Layer{{Seed: seed, Size: 64 << 10}},
		Cmd:    []string{"sh"},
	}
}

// contentBlobs returns the blobs in berthd's content store, by digest.
func (e *imageEnv) contentBlobs() map[digest.Digest]int64 {
	e.t.Helper()
	dir := filepath.Join(e.d.DataRoot(), "containerd", "content", "blobs", "sha256")
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		e.t.Fatal(err)
	}
	out := map[digest.Digest]int64{}
	for _, ent := range entries {
		info, err := ent.Info()
		if os.IsNotExist(err) {
			continue // removed by a collection since the listing
		}
		if err != nil {
			e.t.Fatal(err)
		}
		out[digest.NewDigestFromEncoded(digest.SHA256, ent.Name())] = info.Size()
	}
	return out
}

// snapshotUsage returns the disk usage of every snapshot directory of the
// overlayfs snapshotter, by directory name, counted as containerd does
// (allocated blocks, each inode once).
func (e *imageEnv) snapshotUsage() map[string]int64 {
	e.t.Helper()
	dir := filepath.Join(e.d.DataRoot(), "containerd", "snapshots", "overlayfs", "snapshots")
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		e.t.Fatal(err)
	}
	out := map[string]int64{}
	for _, ent := range entries {
		out[ent.Name()] = diskUsage(e.t, filepath.Join(dir, ent.Name(), "fs"))
	}
	return out
}

// diskUsage sums the allocated size of the files under root, each inode
// once, like containerd's fs.DiskUsage.
func diskUsage(t *testing.T, root string) int64 {
	t.Helper()
	seen := map[uint64]bool{}
	var total int64
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		if seen[st.Ino] {
			return nil
		}
		seen[st.Ino] = true
		total += st.Blocks * 512
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return total
}

func sum[K comparable](m map[K]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}
