package integrationcli

import (
	"strings"
	"testing"
)

// TestSearch answers as dockerd does without Docker Hub: bad filters and
// limits are refused before anything goes on the network; otherwise the
// registry is asked and its answer (here: a registry without the v1 search
// API) is the error.
func TestSearch(t *testing.T) {
	e := newImageEnv(t)
	term := e.reg.Host() + "/team/app"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--filter", "bogus=1"}, "Error response from daemon: invalid filter 'bogus'"},
		{[]string{"--filter", "is-official=maybe"}, "Error response from daemon: invalid filter 'is-official=maybe'"},
		{[]string{"--filter", "stars=many"}, "Error response from daemon: invalid filter 'stars=many'"},
		{[]string{"--limit", "101"}, "Error response from daemon: limit 101 is outside the range of [1, 100]"},
	} {
		e.reg.ResetRequests()
		res := e.cli.Run(append(append([]string{"search"}, tc.args...), term)...)
		if res.ExitCode == 0 || !strings.Contains(res.Stderr, tc.want) {
			t.Errorf("docker search %v: exit %d, stderr %q, want %q", tc.args, res.ExitCode, res.Stderr, tc.want)
		}
		if n := len(e.reg.Requests()); n != 0 {
			t.Errorf("docker search %v asked the registry (%d requests) before refusing", tc.args, n)
		}
	}
	res := e.cli.Run("search", term)
	if res.ExitCode == 0 || !strings.Contains(res.Stderr, "Error response from daemon: unexpected status code 404") {
		t.Errorf("docker search on a registry without search: exit %d, stderr %q", res.ExitCode, res.Stderr)
	}
	if e.reg.Count("GET", "/v1/search") != 1 {
		t.Errorf("registry requests %+v, want one GET /v1/search", e.reg.Requests())
	}
	res = e.cli.Run("search", "--filter", "is-automated=true", term)
	if res.ExitCode != 0 || strings.TrimSpace(res.Stdout) != "NAME      DESCRIPTION   STARS     OFFICIAL" {
		t.Errorf("is-automated=true: exit %d, stdout %q, stderr %q: want an empty table", res.ExitCode, res.Stdout, res.Stderr)
	}
}
