package integrationcli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/berth-dev/berth/testutil/berthd"
	"github.com/berth-dev/berth/testutil/dockercli"
)

// TestMinAPIVersionFromEnvironment: DOCKER_MIN_API_VERSION lowers the
// oldest Engine API version berthd serves, as it does dockerd's (tools
// built on a client pinned to API 1.24 need it). docker version shows the
// minimum; a client older than it is refused in dockerd's words, and a
// value dockerd would not take stops berthd before it starts.
func TestMinAPIVersionFromEnvironment(t *testing.T) {
	t.Setenv("DOCKER_MIN_API_VERSION", "1.24")
	d := berthd.Start(t)
	if out := dockercli.New(t, d.Host()).MustRun("version").Stdout; !strings.Contains(out, "API version:      1.56 (minimum version 1.24)") {
		t.Errorf("docker version does not show the minimum of 1.24:\n%s", out)
	}

	ctx := context.Background()
	for version, ok := range map[string]bool{"1.24": true, "1.30": true, "1.23": false} {
		api, err := client.New(client.WithHost(d.Host()), client.WithVersion(version))
		if err != nil {
			t.Fatal(err)
		}
		_, err = api.ImageList(ctx, client.ImageListOptions{})
		api.Close()
		switch {
		case ok && err != nil:
			t.Errorf("image list at API %s: %v", version, err)
		case !ok && (err == nil || !strings.Contains(err.Error(), "client version 1.23 is too old. Minimum supported API version is 1.24")):
			t.Errorf("image list at API %s: %v, want it refused", version, err)
		}
	}

	dir := t.TempDir()
	for value, want := range map[string]string{
		"1.12":  "invalid DOCKER_MIN_API_VERSION: minimum supported API version is 1.24: 1.12",
		"v1.30": `invalid DOCKER_MIN_API_VERSION: API version must be provided without "v" prefix`,
		"9.99":  "invalid DOCKER_MIN_API_VERSION: maximum supported API version is 1.56: 9.99",
	} {
		t.Setenv("DOCKER_MIN_API_VERSION", value)
		out, err := runBerthd(t, "--data-root", filepath.Join(dir, "root"), "-H", "unix://"+filepath.Join(dir, "b.sock"))
		if err == nil || !strings.Contains(out, want) {
			t.Errorf("DOCKER_MIN_API_VERSION=%s: %v\n%s\nwant %q", value, err, out, want)
		}
	}
}
