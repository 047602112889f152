package integrationcli

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestEventsImageLifecycle runs tag, rmi and prune and reads the events back
// with --since/--until and the type, event, image and label filters.
func TestEventsImageLifecycle(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	img := smallImage(70)
	img.Labels = map[string]string{"tier": "web"}
	b := e.pushPull("ev/app", "1", img)
	id := b.Digest.String()
	start := time.Now()
	time.Sleep(10 * time.Millisecond) // the pull's event is before start

	e.docker("tag", e.ref("ev/app", "1"), "ev-copy:2")
	e.docker("rmi", "ev-copy:2")
	e.docker("rmi", e.ref("ev/app", "1"))
	e.docker("image", "prune", "-f")
	end := time.Now()

	events := func(filters ...string) []string {
		t.Helper()
		args := []string{"events",
			"--since", strconv.FormatFloat(float64(start.UnixNano())/1e9, 'f', 6, 64),
			"--until", strconv.FormatFloat(float64(end.UnixNano())/1e9, 'f', 6, 64),
			"--format", `{{.Type}}|{{.Action}}|{{.Actor.ID}}|{{index .Actor.Attributes "name"}}`}
		for _, f := range filters {
			args = append(args, "--filter", f)
		}
		return lines(e.docker(args...))
	}
	all := []string{
		"image|tag|" + id + "|ev-copy:2",
		"image|untag|" + id + "|ev-copy:2",
		"image|untag|" + id + "|" + e.ref("ev/app", "1"),
		"image|delete|" + id + "|" + id,
		"image|prune||",
	}
	for _, tc := range []struct {
		filters []string
		want    []string
	}{
		{[]string{"type=image"}, all},
		{nil, all},
		{[]string{"type=container"}, nil},
		{[]string{"event=untag"}, all[1:3]},
		{[]string{"event=tag", "event=delete"}, []string{all[0], all[3]}},
		{[]string{"image=ev-copy"}, all[0:2]},
		{[]string{"image=ev-copy:2"}, all[0:2]},
		{[]string{"image=" + e.reg.Host() + "/ev/app"}, all[2:3]},
		{[]string{"image=" + id}, all[:4]},
		{[]string{"label=tier=web"}, all[:4]},
		{[]string{"label=tier=db"}, nil},
	} {
		got := events(tc.filters...)
		if !slices.Equal(got, tc.want) {
			t.Errorf("events %v:\n got %q\nwant %q", tc.filters, got, tc.want)
		}
	}

	// --since 0 is the epoch, as with dockerd: every event kept, the pull's
	// first. A since after the until is refused in dockerd's words.
	out := e.docker("events", "--since", "0", "--until", strconv.FormatInt(end.Unix()+1, 10),
		"--format", `{{.Type}}|{{.Action}}|{{.Actor.ID}}|{{index .Actor.Attributes "name"}}`)
	if got := lines(out); len(got) != len(all)+1 || !strings.HasPrefix(got[0], "image|pull|") || !slices.Equal(got[1:], all) {
		t.Errorf("events --since 0:\n got %q\nwant the pull, then %q", got, all)
	}
	if out := e.dockerFail("events", "--since", "10", "--until", "3"); !strings.Contains(out, "Error response from daemon: `since` time (10) cannot be after `until` time (3)") {
		t.Errorf("events --since 10 --until 3: %q", out)
	}

	// The prune event carries the space reclaimed.
	out = e.docker("events", "--since", strconv.FormatInt(start.Unix(), 10), "--until", strconv.FormatInt(end.Unix()+1, 10),
		"--filter", "event=prune", "--format", "{{json .Actor.Attributes}}")
	if !strings.Contains(out, `"reclaimed":"0"`) {
		t.Errorf("prune event attributes %q, want reclaimed=0 (nothing was dangling)", out)
	}
}

// TestEventsStreamLive follows `docker events` while tagging: the event
// arrives as it happens, and filters apply to live events too.
func TestEventsStreamLive(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	b := e.pushPull("live", "1", smallImage(71))
	follow := e.cli.Start("events", "--filter", "type=image", "--filter", "event=untag", "--format", "{{.Action}} {{.Actor.Attributes.name}}")
	defer follow.Kill()
	// Nothing matches yet: a tag is not an untag.
	e.docker("tag", b.Digest.String(), "live-copy:1")
	e.docker("rmi", "live-copy:1")
	if !follow.WaitForOutput("untag live-copy:1", 10*time.Second) {
		t.Fatalf("no live untag event; got %q %q", follow.Stdout(), follow.Stderr())
	}
	if got := lines(follow.Stdout()); !slices.Equal(got, []string{"untag live-copy:1"}) {
		t.Errorf("live events %q, want only the untag", got)
	}
}
