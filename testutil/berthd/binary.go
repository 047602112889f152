package berthd

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// BinaryEnv names the environment variable holding a prebuilt berthd
// binary; when unset, ./cmd/berthd is built once per test process.
const BinaryEnv = "BERTHD_BINARY"

// buildCache is the per-process result of building ./cmd/berthd. It is the
// package's only global: a sync.Once-guarded build cache, so that every
// test of a package shares one build without needing a TestMain.
var buildCache struct {
	once sync.Once
	path string
	err  error
}

// Binary returns the berthd binary to run: $BERTHD_BINARY if set, else
// ./cmd/berthd of the current module built (once per process) with
// `go build`. It fails the test if the build fails.
func Binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(BinaryEnv); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			t.Fatalf("%s=%q: %v", BinaryEnv, p, err)
		}
		if _, err := os.Stat(abs); err != nil {
			t.Fatalf("%s: %v", BinaryEnv, err)
		}
		return abs
	}
	buildCache.once.Do(func() { buildCache.path, buildCache.err = build() })
	if buildCache.err != nil {
		t.Fatalf("build berthd: %v", buildCache.err)
	}
	return buildCache.path
}

// build compiles ./cmd/berthd of the enclosing module into
// $TMPDIR/berthd-test-<hash of module root>/berthd. The binary is written
// under a temporary name and renamed, so concurrent test processes of the
// same tree can share the location without leaving files behind.
func build() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside a Go module; set %s", BinaryEnv)
	}
	root := filepath.Dir(gomod)
	sum := sha256.Sum256([]byte(root))
	dir := filepath.Join(os.TempDir(), "berthd-test-"+hex.EncodeToString(sum[:6]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, "berthd-*.tmp")
	if err != nil {
		return "", err
	}
	_ = tmp.Close()
	defer os.Remove(tmp.Name())
	cmd := exec.CommandContext(ctx, "go", "build", "-o", tmp.Name(), "./cmd/berthd")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/berthd in %s: %w\n%s", root, err, stderr.Bytes())
	}
	bin := filepath.Join(dir, "berthd")
	if err := os.Rename(tmp.Name(), bin); err != nil {
		return "", err
	}
	return bin, nil
}
