package image

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

func applied(t *testing.T, changes ...string) dockerspec.DockerOCIImageConfig {
	t.Helper()
	var cfg dockerspec.DockerOCIImageConfig
	if err := ApplyChanges(&cfg, changes, "linux"); err != nil {
		t.Fatalf("ApplyChanges(%q): %v", changes, err)
	}
	return cfg
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestApplyChangesPerInstruction(t *testing.T) {
	for _, tc := range []struct {
		changes []string
		field   func(dockerspec.DockerOCIImageConfig) any
		want    string
	}{
		{[]string{`CMD ["/bin/sh"]`}, func(c dockerspec.DockerOCIImageConfig) any { return c.Cmd }, `["/bin/sh"]`},
		{[]string{"cmd echo hi"}, func(c dockerspec.DockerOCIImageConfig) any { return c.Cmd }, `["/bin/sh","-c","echo hi"]`},
		{[]string{`ENTRYPOINT ["/app"]`}, func(c dockerspec.DockerOCIImageConfig) any { return c.Entrypoint }, `["/app"]`},
		{[]string{"ENTRYPOINT /app --flag"}, func(c dockerspec.DockerOCIImageConfig) any { return c.Entrypoint }, `["/bin/sh","-c","/app --flag"]`},
		// ENTRYPOINT clears a CMD it did not follow, keeps one it did.
		{[]string{"CMD a", "ENTRYPOINT b"}, func(c dockerspec.DockerOCIImageConfig) any { return c.Cmd }, `["/bin/sh","-c","a"]`},
		{[]string{"ENV A=b", "ENV C=${A}c D=$A", "ENV A=z"}, func(c dockerspec.DockerOCIImageConfig) any { return c.Env }, `["A=z","C=bc","D=b"]`},
		{[]string{"ENV legacy form value"}, func(c dockerspec.DockerOCIImageConfig) any { return c.Env }, `["legacy=form value"]`},
		{[]string{"EXPOSE 80 53/udp 8000-8001"}, func(c dockerspec.DockerOCIImageConfig) any { return c.ExposedPorts },
			`{"53/udp":{},"80/tcp":{},"8000/tcp":{},"8001/tcp":{}}`},
		{[]string{`ENV PORTS="1 2"`, "EXPOSE $PORTS"}, func(c dockerspec.DockerOCIImageConfig) any { return c.ExposedPorts }, `{"1/tcp":{},"2/tcp":{}}`},
		{[]string{`LABEL a=b "c d"=e`, "LABEL a=x"}, func(c dockerspec.DockerOCIImageConfig) any { return c.Labels }, `{"a":"x","c d":"e"}`},
		{[]string{"ONBUILD RUN make", "onbuild COPY . /src"}, func(c dockerspec.DockerOCIImageConfig) any { return c.OnBuild }, `["RUN make","COPY . /src"]`},
		{[]string{"STOPSIGNAL SIGKILL"}, func(c dockerspec.DockerOCIImageConfig) any { return c.StopSignal }, `"SIGKILL"`},
		{[]string{"STOPSIGNAL 9"}, func(c dockerspec.DockerOCIImageConfig) any { return c.StopSignal }, `"9"`},
		{[]string{"ENV U=app", "USER $U:staff"}, func(c dockerspec.DockerOCIImageConfig) any { return c.User }, `"app:staff"`},
		{[]string{"VOLUME /data", `VOLUME ["/a", "/b"]`}, func(c dockerspec.DockerOCIImageConfig) any { return c.Volumes }, `{"/a":{},"/b":{},"/data":{}}`},
		{[]string{"WORKDIR /srv", "WORKDIR app", "WORKDIR ../x/./y"}, func(c dockerspec.DockerOCIImageConfig) any { return c.WorkingDir }, `"/srv/x/y"`},
		{[]string{"HEALTHCHECK NONE"}, func(c dockerspec.DockerOCIImageConfig) any { return c.Healthcheck.Test }, `["NONE"]`},
	} {
		got := jsonOf(tc.field(applied(t, tc.changes...)))
		if got != tc.want {
			t.Errorf("%q: %s, want %s", tc.changes, got, tc.want)
		}
	}
}

func TestApplyChangesHealthcheck(t *testing.T) {
	hc := applied(t, "HEALTHCHECK --interval=5s --timeout=2s --retries=4 CMD curl -f http://localhost/").Healthcheck
	if hc == nil || jsonOf(hc.Test) != `["CMD-SHELL","curl -f http://localhost/"]` || hc.Interval != 5*time.Second || hc.Timeout != 2*time.Second || hc.Retries != 4 {
		t.Errorf("healthcheck %+v", hc)
	}
}

// The changes apply on top of what the config had; nothing changes on error.
func TestApplyChangesKeepsConfigOnError(t *testing.T) {
	cfg := dockerspec.DockerOCIImageConfig{}
	cfg.Env = []string{"A=1"}
	if err := ApplyChanges(&cfg, []string{"ENV B=2", "RUN false"}, "linux"); err == nil {
		t.Fatal("RUN accepted")
	}
	if jsonOf(cfg.Env) != `["A=1"]` {
		t.Errorf("env after a failed change: %v", cfg.Env)
	}
	if err := ApplyChanges(&cfg, []string{"ENV B=$A"}, "linux"); err != nil || jsonOf(cfg.Env) != `["A=1","B=1"]` {
		t.Errorf("env %v, %v", cfg.Env, err)
	}
}

func TestApplyChangesErrors(t *testing.T) {
	for _, tc := range []struct {
		change, want string
	}{
		{"RUN make", "RUN is not a valid change command"},
		{"run make", "run is not a valid change command"},
		{"FROM busybox", "FROM is not a valid change command"},
		{"ADD a b", "ADD is not a valid change command"},
		{"COPY a b", "COPY is not a valid change command"},
		{"ARG x", "ARG is not a valid change command"},
		{"SHELL [\"/bin/bash\"]", "SHELL is not a valid change command"},
		{"MAINTAINER me", "MAINTAINER is not a valid change command"},
		{"BOGUS x", "BOGUS is not a valid change command"},
		{"ENV", "ENV requires at least one argument"},
		{"EXPOSE", "EXPOSE requires at least one argument"},
		{"EXPOSE 80/bogus", "invalid proto: bogus"},
		{"EXPOSE x", "invalid containerPort: x"},
		{"STOPSIGNAL SIGNOPE", "invalid signal: SIGNOPE"},
		{"USER", "USER requires exactly one argument"},
		{"WORKDIR", "WORKDIR requires exactly one argument"},
		{"VOLUME", "VOLUME requires at least one argument"},
		{`VOLUME [""]`, "VOLUME specified can not be an empty string"},
		{"LABEL", "LABEL requires at least one argument"},
		{"ONBUILD ONBUILD RUN x", "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"},
		{"ONBUILD FROM x", "FROM isn't allowed as an ONBUILD trigger"},
		{"HEALTHCHECK --interval=bad CMD x", "time: invalid duration"},
		{"HEALTHCHECK FOO x", `Unknown type "FOO" in HEALTHCHECK`},
		{"", "file with no instructions"},
	} {
		var cfg dockerspec.DockerOCIImageConfig
		err := ApplyChanges(&cfg, []string{tc.change}, "linux")
		if !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want an invalid argument with %q", tc.change, err, tc.want)
		}
	}
}
