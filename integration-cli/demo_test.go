package integrationcli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/testutil/berthd"
)

// TestMakeDemo runs hack/demo.sh, what `make demo` runs, against freshly
// built binaries: it must pull and list with the real CLI and clean up.
func TestMakeDemo(t *testing.T) {
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "demo-registry"), "../hack/demo-registry")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build demo-registry: %v\n%s", err, out)
	}
	if err := os.Symlink(berthd.Binary(t), filepath.Join(bin, "berthd")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "../hack/demo.sh")
	cmd.Env = append(os.Environ(), "BIN="+bin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("demo failed: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{
		"Status: Downloaded newer image for",
		"demo/hello:latest",
		"demo/big:latest",
		"linux/amd64 layers=3",
		"==> demo finished",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("demo output lacks %q:\n%s", want, text)
		}
	}
	if leftovers, _ := filepath.Glob("/tmp/berth-demo.*"); len(leftovers) > 0 {
		t.Errorf("demo left %v behind", leftovers)
	}
}
