package integrationcli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/testutil/dockercli"
	"github.com/berth-dev/berth/testutil/fixtures"
	"github.com/berth-dev/berth/testutil/registry"
)

const (
	cliUser = "alice"
	cliPass = "s3cret"
)

// newAuthImageEnv is an imageEnv whose registry needs credentials
// (opt selects basic or token auth), with priv/app:v1 pushed.
func newAuthImageEnv(t *testing.T, opt registry.Option) *imageEnv {
	t.Helper()
	e := newImageEnv(t, opt)
	c := &fixtures.Client{Host: e.reg.Host(), Username: cliUser, Password: cliPass}
	mustPush(e, "push priv/app:v1", func(ctx context.Context) (*fixtures.BuiltImage, error) {
		return c.Push(ctx, "priv/app", smallImage(40), "v1")
	})
	return e
}

// login runs `docker login` with the password on stdin.
func login(e *imageEnv, password string) dockercli.Result {
	return e.cli.RunWithStdin(strings.NewReader(password+"\n"), "login", "-u", cliUser, "--password-stdin", e.reg.Host())
}

// configAuths returns the registries config.json holds credentials for.
func configAuths(t *testing.T, cli *dockercli.CLI) map[string]json.RawMessage {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(cli.ConfigDir(), "config.json"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Auths map[string]json.RawMessage `json:"auths"`
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		t.Fatalf("config.json: %v", err)
	}
	return cfg.Auths
}

// checkPulled checks the output of a successful `docker pull` of ref.
func checkPulled(t *testing.T, stdout, ref string) {
	t.Helper()
	ls := lines(stdout)
	if len(ls) < 3 {
		t.Fatalf("pull output too short:\n%s", stdout)
	}
	if want := "Status: Downloaded newer image for " + ref; ls[len(ls)-2] != want {
		t.Errorf("pull output:\n%s\nwant the line %q before the reference", stdout, want)
	}
	if ls[len(ls)-1] != ref {
		t.Errorf("last line %q, want %q", ls[len(ls)-1], ref)
	}
}

// TestLoginPullLogoutBasicAuth: against an htpasswd registry, a pull fails
// until `docker login`, succeeds after, and fails again after `docker
// logout`; a wrong password is refused at login.
func TestLoginPullLogoutBasicAuth(t *testing.T) {
	t.Parallel()
	e := newAuthImageEnv(t, registry.WithBasicAuth(cliUser, cliPass))
	ref := e.ref("priv/app", "v1")
	noCreds := `failed to resolve reference "` + ref + `": pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials`

	if stderr := e.dockerFail("pull", ref); !strings.Contains(stderr, noCreds) {
		t.Errorf("anonymous pull stderr:\n%s\nwant %q", stderr, noCreds)
	}

	res := login(e, "wrong")
	want := "login attempt to http://" + e.reg.Host() + "/v2/ failed with status: 401 Unauthorized"
	if res.ExitCode == 0 || !strings.Contains(res.Stderr, want) {
		t.Errorf("login with a wrong password: exit %d, stderr:\n%s\nwant %q", res.ExitCode, res.Stderr, want)
	}
	if auths := configAuths(t, e.cli); auths[e.reg.Host()] != nil {
		t.Errorf("refused login stored credentials: %s", auths[e.reg.Host()])
	}

	res = login(e, cliPass)
	if res.ExitCode != 0 || !strings.Contains(res.Stdout, "Login Succeeded") {
		t.Fatalf("login: exit %d\n%s", res.ExitCode, res.Combined())
	}
	if auths := configAuths(t, e.cli); auths[e.reg.Host()] == nil {
		t.Errorf("config.json has no credentials for %s: %v", e.reg.Host(), auths)
	}
	checkPulled(t, e.docker("pull", ref), ref)
	e.docker("rmi", ref)

	if out := e.docker("logout", e.reg.Host()); !strings.Contains(out, "Removing login credentials for "+e.reg.Host()) {
		t.Errorf("logout output: %s", out)
	}
	if stderr := e.dockerFail("pull", ref); !strings.Contains(stderr, noCreds) {
		t.Errorf("pull after logout stderr:\n%s\nwant %q", stderr, noCreds)
	}
	if stderr := e.dockerFail("image", "inspect", ref); !strings.Contains(stderr, "No such image") {
		t.Errorf("image present after the failed pull: %s", stderr)
	}
}

// TestLoginPullLogoutTokenAuth: against a token-auth registry that gives
// anonymous callers nothing, pulls (one tag or -a) are "pull access
// denied" without "unauthorized" until login; wrong passwords are refused
// with the token server's words.
func TestLoginPullLogoutTokenAuth(t *testing.T) {
	t.Parallel()
	e := newAuthImageEnv(t, registry.WithTokenAuth(cliUser, cliPass, registry.AnonymousNoAccess))
	ref := e.ref("priv/app", "v1")
	denied := "pull access denied for " + e.reg.Host() + "/priv/app, repository does not exist or may require 'docker login'"

	for _, args := range [][]string{{"pull", ref}, {"pull", "-a", e.reg.Host() + "/priv/app"}} {
		stderr := e.dockerFail(args...)
		if !strings.Contains(stderr, denied) {
			t.Errorf("docker %s stderr:\n%s\nwant %q", strings.Join(args, " "), stderr, denied)
		}
		if strings.Contains(strings.ToLower(stderr), "unauthorized") {
			t.Errorf("docker %s mentions unauthorized:\n%s", strings.Join(args, " "), stderr)
		}
	}

	res := login(e, "wrong")
	want := `Get "http://` + e.reg.Host() + `/v2/": unauthorized: invalid username or password`
	if res.ExitCode == 0 || !strings.Contains(res.Stderr, want) {
		t.Errorf("login with a wrong password: exit %d, stderr:\n%s\nwant %q", res.ExitCode, res.Stderr, want)
	}

	if res := login(e, cliPass); res.ExitCode != 0 || !strings.Contains(res.Stdout, "Login Succeeded") {
		t.Fatalf("login: exit %d\n%s", res.ExitCode, res.Combined())
	}
	checkPulled(t, e.docker("pull", ref), ref)
	if out := e.docker("pull", "-a", e.reg.Host()+"/priv/app"); !strings.Contains(out, "Status: Image is up to date for "+ref) {
		t.Errorf("pull -a after login:\n%s", out)
	}
	e.docker("rmi", ref)

	e.docker("logout", e.reg.Host())
	if stderr := e.dockerFail("pull", ref); !strings.Contains(stderr, denied) {
		t.Errorf("pull after logout stderr:\n%s\nwant %q", stderr, denied)
	}
}

// TestPullWithStoredWrongPassword has config.json hold a wrong password
// (as after a password change). A basic-auth registry's bare 401 is an
// error with the cause; a token server's refusal is a 401 from the daemon,
// so the CLI asks for credentials once ("Login prior to pull:"), which
// fails without a terminal. Both as with dockerd.
func TestPullWithStoredWrongPassword(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		opt    registry.Option
		prompt bool
		want   string
	}{
		{"basic", registry.WithBasicAuth(cliUser, cliPass), false, "/v2/priv/app/manifests/v1: 401 Unauthorized"},
		{"token", registry.WithTokenAuth(cliUser, cliPass, registry.AnonymousNoAccess), true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newAuthImageEnv(t, tc.opt)
			e.cli.Timeout = 30 * time.Second
			e.cli.SetAuth(e.reg.Host(), cliUser, "wrong")
			ref := e.ref("priv/app", "v1")
			// The CLI reads the user name from stdin (it waits forever at
			// EOF), then needs a terminal for the password.
			res := e.cli.RunWithStdin(strings.NewReader(cliUser+"\n"), "pull", ref)
			if res.ExitCode == 0 || res.TimedOut {
				t.Fatalf("pull with a wrong stored password: exit %d\n%s", res.ExitCode, res.Combined())
			}
			if prompted := strings.Contains(res.Stdout, "Login prior to pull:"); prompted != tc.prompt {
				t.Errorf("CLI prompted for credentials: %v, want %v\n%s", prompted, tc.prompt, res.Combined())
			}
			if !strings.Contains(res.Stderr, tc.want) {
				t.Errorf("stderr:\n%s\nwant %q", res.Stderr, tc.want)
			}
			e.cli.SetAuth(e.reg.Host(), cliUser, cliPass)
			checkPulled(t, e.docker("pull", ref), ref)
		})
	}
}
