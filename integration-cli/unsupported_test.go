package integrationcli

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/berth-dev/berth/testutil/berthd"
	"github.com/berth-dev/berth/testutil/dockercli"
)

// TestUnsupportedCommands get a clear "not supported" instead of a 404.
func TestUnsupportedCommands(t *testing.T) {
	d := berthd.Start(t)
	cli := dockercli.New(t, d.Host())
	for _, args := range [][]string{
		{"commit", "c1", "img:1"},
	} {
		res := cli.Run(args...)
		if res.ExitCode == 0 || !strings.Contains(res.Stderr, "is not supported by berthd yet") {
			t.Errorf("docker %v: exit %d, stderr %q", args, res.ExitCode, res.Stderr)
		}
	}
	// BuildKit's endpoints (buildx's docker driver) say so too.
	for _, path := range []string{"/build", "/build/cancel", "/session", "/grpc"} {
		resp, err := d.HTTPClient().Post("http://berthd/v1.50"+path, "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotImplemented || !strings.Contains(string(body), "building images is not supported by berthd yet") {
			t.Errorf("POST %s: %d %s", path, resp.StatusCode, body)
		}
	}
}

// TestUnsupportedAreas: the commands of areas berthd does not serve say so
// (never "page not found"), and their list commands show empty tables, so
// tools that list before they act keep working.
func TestUnsupportedAreas(t *testing.T) {
	d := berthd.Start(t)
	cli := dockercli.New(t, d.Host())
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"network", "create", "n1"}, "Error response from daemon: networks are not supported by berthd yet: it is an image daemon"},
		{[]string{"network", "inspect", "bridge"}, "networks are not supported by berthd yet"},
		{[]string{"volume", "create", "v1"}, "Error response from daemon: volumes are not supported by berthd yet: it is an image daemon"},
		{[]string{"plugin", "inspect", "p1"}, "plugins are not supported by berthd yet"},
		{[]string{"swarm", "init"}, "Error response from daemon: swarm mode is not supported by berthd yet: it is an image daemon"},
		{[]string{"node", "ls"}, "swarm mode is not supported by berthd yet"},
		{[]string{"container", "inspect", "c1"}, "containers are not supported by berthd yet"},
		{[]string{"start", "c1"}, "containers are not supported by berthd yet"},
	} {
		res := cli.Run(tc.args...)
		if res.ExitCode == 0 || !strings.Contains(res.Stderr, tc.want) || strings.Contains(res.Stderr, "page not found") {
			t.Errorf("docker %v: exit %d, stderr %q, want %q", tc.args, res.ExitCode, res.Stderr, tc.want)
		}
	}
	for args, header := range map[string]string{
		"network ls": "NETWORK ID   NAME      DRIVER    SCOPE",
		"volume ls":  "DRIVER    VOLUME NAME",
		"plugin ls":  "ID        NAME      DESCRIPTION   ENABLED",
		"ps -a":      "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES",
	} {
		if out := strings.TrimSpace(cli.MustRun(strings.Fields(args)...).Stdout); out != header {
			t.Errorf("docker %s:\n%s\nwant only the header %q", args, out, header)
		}
	}
}
