package registryapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/errdefs"
)

// basicRegistry answers 401 with a basic challenge unless the request
// carries alice's password; authorized requests get their body echoed.
func basicRegistry(t *testing.T, requests *atomic.Int32) docker.RegistryHost {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if u, p, ok := r.BasicAuth(); !ok || u != "alice" || p != "pw" {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
			return
		}
		w.Header().Set("X-Query", r.URL.RawQuery)
		io.Copy(w, r.Body)
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	return docker.RegistryHost{Host: u.Host, Scheme: "http", Path: "/v2", Client: srv.Client(),
		Capabilities: docker.HostCapabilityPull | docker.HostCapabilityResolve}
}

func withCreds(h docker.RegistryHost, user, pass string) docker.RegistryHost {
	h.Authorizer = docker.NewDockerAuthorizer(docker.WithAuthClient(h.Client),
		docker.WithAuthCreds(func(string) (string, string, error) { return user, pass, nil }))
	return h
}

// TestDoAnswersChallenge: the challenge goes to the authorizer and the
// request, body included, is sent again with credentials.
func TestDoAnswersChallenge(t *testing.T) {
	var requests, opened atomic.Int32
	h := withCreds(basicRegistry(t, &requests), "alice", "pw")
	resp, err := Do(context.Background(), h, Request{
		Method: http.MethodPost, Path: "/app/blobs/uploads/",
		Body: func() (io.ReadCloser, error) {
			opened.Add(1)
			return io.NopCloser(strings.NewReader("layer bytes")), nil
		},
		ContentLength: int64(len("layer bytes")),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if string(body) != "layer bytes" || requests.Load() != 2 || opened.Load() != 2 {
		t.Fatalf("body %q after %d requests, body opened %d times", body, requests.Load(), opened.Load())
	}
}

// TestDoRefusedCredentials: wrong credentials are tried at most
// MaxAuthAttempts times; the error is the registry's, with the endpoint.
func TestDoRefusedCredentials(t *testing.T) {
	var requests atomic.Int32
	h := withCreds(basicRegistry(t, &requests), "alice", "wrong")
	_, err := Do(context.Background(), h, Request{Path: "/"})
	if err == nil || !errdefs.IsUnauthorized(err) || err.Error() != "error from registry: authentication required" {
		t.Fatalf("error %v", err)
	}
	if requests.Load() != MaxAuthAttempts {
		t.Fatalf("%d requests, want %d", requests.Load(), MaxAuthAttempts)
	}
	if want := "http://" + h.Host + "/v2/"; Endpoint(err) != want {
		t.Fatalf("Endpoint = %q, want %q", Endpoint(err), want)
	}
}

// TestRequestURL: a mirror gets ?ns=<registry>, the registry itself (and
// Docker Hub's API host for docker.io) does not, as containerd sends.
func TestRequestURL(t *testing.T) {
	r := Request{Path: "/library/alpine/manifests/3", Namespace: "docker.io", Query: url.Values{"n": {"1"}}}
	for host, want := range map[string]string{
		"mirror.example":       "https://mirror.example/v2/library/alpine/manifests/3?n=1&ns=docker.io",
		"registry-1.docker.io": "https://registry-1.docker.io/v2/library/alpine/manifests/3?n=1",
		"docker.io":            "https://docker.io/v2/library/alpine/manifests/3?n=1",
	} {
		if got := r.URL(docker.RegistryHost{Scheme: "https", Host: host, Path: "/v2"}); got != want {
			t.Errorf("URL on %s = %s, want %s", host, got, want)
		}
	}
	raw := Request{RawURL: "https://r.example/v2/x/tags/list?last=a"}
	if got := raw.URL(docker.RegistryHost{Host: "other"}); got != raw.RawURL {
		t.Errorf("RawURL not kept: %s", got)
	}
}

// TestOnHosts: hosts without the capability are skipped, the first success
// ends the loop, a Final error ends it at once, else the last error wins.
func TestOnHosts(t *testing.T) {
	hosts := []docker.RegistryHost{
		{Host: "push-only", Capabilities: docker.HostCapabilityPush},
		{Host: "a", Capabilities: docker.HostCapabilityPull},
		{Host: "b", Capabilities: docker.HostCapabilityPull},
	}
	none := errors.New("none")
	var tried []string
	err := OnHosts(hosts, docker.HostCapabilityPull, none, func(h docker.RegistryHost) error {
		tried = append(tried, h.Host)
		return errors.New("failed on " + h.Host)
	})
	if err == nil || err.Error() != "failed on b" || strings.Join(tried, ",") != "a,b" {
		t.Fatalf("err %v tried %v", err, tried)
	}
	tried = nil
	err = OnHosts(hosts, docker.HostCapabilityPull, none, func(h docker.RegistryHost) error {
		tried = append(tried, h.Host)
		return Final(errors.New("refused"))
	})
	if err == nil || err.Error() != "refused" || len(tried) != 1 {
		t.Fatalf("Final: err %v tried %v", err, tried)
	}
	if err := OnHosts(hosts, docker.HostCapabilityResolve, none, nil); err != none {
		t.Fatalf("no capable host: %v", err)
	}
}
