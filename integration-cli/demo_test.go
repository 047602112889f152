package integrationcli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/testutil/berthd"
)

var (
	deletedID = regexp.MustCompile(`Deleted: sha256:([0-9a-f]{64})`)
	// the demo/big row of `docker images` after the load
	loadedBig = regexp.MustCompile(`(?s)Loaded image: .*?/demo/big +latest +([0-9a-f]{12}) `)
)

// TestMakeDemo runs hack/demo.sh, what `make demo` runs, against freshly
// built binaries: with the real CLI it must pull and list, save, remove and
// load an image back with the same ID, import a tarball with --change,
// push (uploading and mounting), show disk usage, and clean up.
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
		// save, rmi, load
		"/demo/big:latest\nDeleted: sha256:",
		"\nLoaded image: 127.0.0.1:",
		// import with --change and --message
		"cmd=[/bin/hello] comment=imported by make demo layers=1",
		// push: the imported layer is uploaded, the loaded image's mounted
		"The push refers to repository [127.0.0.1:",
		": Pushed\nv1: digest: sha256:",
		": Mounted from demo/big\n",
		// system df and system df -v
		"TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE\nImages          4 ",
		"Images space usage:",
		"==> demo finished",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("demo output lacks %q:\n%s", want, text)
		}
	}
	// The loaded image is the saved one: same ID.
	if m := deletedID.FindStringSubmatch(text); m == nil {
		t.Errorf("no Deleted line in:\n%s", text)
	} else if loaded := loadedBig.FindStringSubmatch(text); loaded == nil || loaded[1] != m[1][:12] {
		t.Errorf("demo/big after load is %v, want the saved ID %s", loaded, m[1][:12])
	}
	if leftovers, _ := filepath.Glob("/tmp/berth-demo.*"); len(leftovers) > 0 {
		t.Errorf("demo left %v behind", leftovers)
	}
}
