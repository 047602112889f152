package storage

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"

	ctdtest "github.com/berth-dev/berth/testutil/containerd"
)

func TestRemoteRoundTrip(t *testing.T) {
	requireRoot(t)
	sock, ctdRoot := ctdtest.Start(t)

	s, err := Open(context.Background(), Options{Address: "unix://" + sock, Namespace: "berth-test", Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("Open remote: %v", err)
	}
	defer func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	if s.Embedded() || s.Address() != sock || s.Namespace() != "berth-test" {
		t.Fatalf("embedded=%v address=%q namespace=%q", s.Embedded(), s.Address(), s.Namespace())
	}
	if s.Snapshotter() != SnapshotterOverlay && s.Snapshotter() != SnapshotterNative {
		t.Fatalf("snapshotter %q", s.Snapshotter())
	}
	t.Logf("remote snapshotter: %s", s.Snapshotter())

	ctx := context.Background() // namespace comes from the client default
	c := s.Client()
	contentRoot := filepath.Join(ctdRoot, "io.containerd.content.v1.content")
	ti := createTestImage(t, ctx, c, "docker.io/library/remote:latest", map[string]string{"hello.txt": "remote\n"})
	assertBlobFiles(t, contentRoot, ti.blobs(), true)

	img := client.NewImage(c, ti.image)
	if err := img.Unpack(ctx, s.Snapshotter()); err != nil {
		t.Fatalf("unpack: %v", err)
	}
	if _, err := c.SnapshotService(s.Snapshotter()).Stat(ctx, ti.diffID.String()); err != nil {
		t.Fatalf("stat unpacked snapshot: %v", err)
	}

	if err := s.CollectGarbage(ctx); err != nil {
		t.Fatalf("CollectGarbage: %v", err)
	}
	assertBlobFiles(t, contentRoot, ti.blobs(), true)

	if err := c.ImageService().Delete(ctx, ti.image.Name, images.SynchronousDelete()); err != nil {
		t.Fatalf("delete image: %v", err)
	}
	assertBlobFiles(t, contentRoot, ti.blobs(), false)
	if _, err := c.SnapshotService(s.Snapshotter()).Stat(ctx, ti.diffID.String()); !errdefs.IsNotFound(err) {
		t.Errorf("snapshot after synchronous delete: err=%v, want not found", err)
	}
}

func TestRemoteUnreachableFailsFast(t *testing.T) {
	// A socket file nobody listens on: Open must give up within the dial timeout.
	dir, err := os.MkdirTemp("", "berth-dead-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "dead.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close() // the file stays, connections are refused

	start := time.Now()
	_, err = Open(context.Background(), Options{Address: sock, DialTimeout: time.Second})
	if err == nil {
		t.Fatal("Open on a dead socket succeeded")
	}
	if time.Since(start) > 3*time.Second {
		t.Errorf("Open took %s", time.Since(start))
	}
	if !strings.Contains(err.Error(), "not reachable") {
		t.Errorf("error %q should say containerd is not reachable", err)
	}
	t.Logf("dead socket: %v (after %s)", err, time.Since(start))
}

// TestRemoteOffersItsSnapshotters: with a running containerd the storage
// asks containerd for the requested snapshotter, whatever its name, instead
// of limiting it to the embedded stack's two.
func TestRemoteOffersItsSnapshotters(t *testing.T) {
	requireRoot(t)
	sock, _ := ctdtest.Start(t)

	s, err := Open(context.Background(), Options{Address: sock, Snapshotter: SnapshotterNative, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("Open remote with native: %v", err)
	}
	if s.Snapshotter() != SnapshotterNative {
		t.Errorf("snapshotter %q, want %q", s.Snapshotter(), SnapshotterNative)
	}
	s.Close()

	_, err = Open(context.Background(), Options{Address: sock, Snapshotter: "berth-test-absent", Logger: testLogger(t)})
	if err == nil || !strings.Contains(err.Error(), `snapshotter "berth-test-absent" is not available`) {
		t.Fatalf("Open with a snapshotter containerd lacks: %v, want containerd's answer that it is not available", err)
	}
}

func TestCheckSnapshotter(t *testing.T) {
	for _, tc := range []struct {
		address, name string
		ok            bool
	}{
		{"", SnapshotterOverlay, true},
		{"", SnapshotterNative, true},
		{"", "stargz", false},
		{"", "", false},
		{"/run/containerd/containerd.sock", "stargz", true},
		{"/run/containerd/containerd.sock", "nydus", true},
		{"/run/containerd/containerd.sock", "", false},
		{"/run/containerd/containerd.sock", "bad/name", false},
	} {
		if err := CheckSnapshotter(tc.address, tc.name); (err == nil) != tc.ok {
			t.Errorf("CheckSnapshotter(%q, %q) = %v, want ok=%v", tc.address, tc.name, err, tc.ok)
		}
	}
}
