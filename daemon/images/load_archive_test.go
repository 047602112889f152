package images

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/plugins/content/local"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	"github.com/containerd/platforms"
	"github.com/sirupsen/logrus"

	"github.com/berth-dev/berth/image"
	"github.com/berth-dev/berth/layer"
)

// newLocalStore is a content store in a temporary directory.
func newLocalStore(tb testing.TB) content.Store {
	tb.Helper()
	cs, err := local.NewStore(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	return cs
}

// loadArchive runs the archive half of a load (decompress, import, check
// every image) into cs and returns the number of images the archive holds.
func loadArchive(cs content.Store, data []byte) (int, error) {
	ctx := context.Background()
	r, err := layer.Decompress(bytes.NewReader(data))
	if err != nil {
		return 0, err
	}
	defer r.Close()
	root, err := importArchive(ctx, cs, r)
	if err != nil {
		return 0, err
	}
	idx, err := image.ReadIndex(ctx, cs, root)
	if err != nil {
		return 0, archiveError(err)
	}
	for _, m := range idx.Manifests {
		if _, err := checkArchiveImage(ctx, cs, m, platforms.All, false); err != nil {
			return 0, err
		}
	}
	return len(idx.Manifests), nil
}

// FuzzLoadArchive feeds arbitrary bytes to the archive reader of a load:
// it must never panic, and whatever it refuses is refused as bad input
// (400), never as a daemon failure. Its seeds are the committed corpus in
// testdata/fuzz/FuzzLoadArchive, which `go test` runs as plain tests.
func FuzzLoadArchive(f *testing.F) {
	// The local store warns about fsverity on every open; fuzz workers
	// must not fill their output with it.
	log.L.Logger.SetLevel(logrus.ErrorLevel)
	// One store for all inputs: a fresh one per input would make fuzzing
	// crawl, and no input may depend on what another left.
	cs := newLocalStore(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		done := make(chan error, 1)
		go func() {
			_, err := loadArchive(cs, data)
			done <- err
		}()
		select {
		case err := <-done:
			if err != nil && !errdefs.IsInvalidArgument(err) {
				t.Fatalf("error of class %T (not invalid argument): %v", err, err)
			}
		case <-time.After(20 * time.Second):
			buf := make([]byte, 1<<20)
			t.Fatalf("load hangs:\n%s", buf[:runtime.Stack(buf, true)])
		}
	})
}

// TestLoadArchiveSeeds pins what each committed seed archive does.
func TestLoadArchiveSeeds(t *testing.T) {
	seeds := readSeeds(t)
	for name, want := range map[string]string{
		"oci":            "",
		"oci-gzip":       "",
		"docker-old":     "",
		"docker-old-xz":  "",
		"docker-symlink": "",
		"traversal":      `entry "../../evil" points outside the archive`,
		"truncated":      "truncated",
		"bad-digest":     "does not match its digest",
		"missing-blob":   "which is not in the archive",
		"empty":          "unrecognized image format",
	} {
		data, ok := seeds[name]
		if !ok {
			t.Errorf("seed %s missing from testdata/fuzz/FuzzLoadArchive", name)
			continue
		}
		n, err := loadArchive(newLocalStore(t), data)
		switch {
		case want == "" && (err != nil || n != 1):
			t.Errorf("%s: %d images, %v; want one image", name, n, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want) || !errdefs.IsInvalidArgument(err)):
			t.Errorf("%s: %v, want an invalid-argument error with %q", name, err, want)
		}
	}
}

// readSeeds reads the committed corpus (go test fuzz v1 files of one
// []byte) by file name.
func readSeeds(tb testing.TB) map[string][]byte {
	tb.Helper()
	dir := filepath.Join("testdata", "fuzz", "FuzzLoadArchive")
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			tb.Fatal(err)
		}
		_, rest, _ := strings.Cut(string(b), "\n")
		rest = strings.TrimSpace(rest)
		lit, ok := strings.CutPrefix(rest, "[]byte(")
		if !ok || !strings.HasSuffix(lit, ")") {
			tb.Fatalf("%s: not a go test fuzz v1 []byte entry", e.Name())
		}
		data, err := strconv.Unquote(strings.TrimSuffix(lit, ")"))
		if err != nil {
			tb.Fatalf("%s: %v", e.Name(), err)
		}
		out[e.Name()] = []byte(data)
	}
	return out
}
