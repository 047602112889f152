package integrationcli

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSystemPrune: `docker system prune` runs through as against dockerd.
// berthd holds no containers, networks, volumes or build cache, so their
// prunes answer empty reports (and their prune events), and the images are
// pruned: the dangling one by default, every unused one with -a.
func TestSystemPrune(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	start := time.Now()
	old := e.danglingImage(70)

	untagged, deleted, total := pruneOutput(t, e.docker("system", "prune", "-f"))
	if len(untagged) != 0 || !slices.Contains(deleted, old.Digest.String()) || total == "0B" {
		t.Errorf("system prune: untagged %v, deleted %v, total %s; want the dangling %s deleted", untagged, deleted, total, old.Digest)
	}
	untagged, _, _ = pruneOutput(t, e.docker("system", "prune", "-a", "-f", "--volumes"))
	slices.Sort(untagged)
	if want := []string{e.ref("app", "1"), e.ref("app", "2")}; !slices.Equal(untagged, want) {
		t.Errorf("system prune -a untagged %v, want %v", untagged, want)
	}
	if ids := lines(e.docker("images", "-a", "-q")); len(ids) != 0 {
		t.Errorf("images left after system prune -a: %v", ids)
	}
	if blobs := e.contentBlobs(); len(blobs) != 0 {
		t.Errorf("blobs left after system prune -a: %v", blobs)
	}

	for _, args := range [][]string{
		{"container", "prune", "-f"},
		{"network", "prune", "-f", "--filter", "until=1h"},
		{"volume", "prune", "-a", "-f", "--filter", "label=x"},
		{"builder", "prune", "-a", "-f", "--filter", "until=24h"},
	} {
		out := e.docker(args...)
		// network prune prints only the networks it deleted.
		if args[0] == "network" && out != "" || args[0] != "network" && !strings.Contains(out, "Total reclaimed space: 0B") {
			t.Errorf("docker %v printed %q, want nothing reclaimed", args, out)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"container", "prune", "-f", "--filter", "color=red"}, "invalid filter 'color'"},
		{[]string{"network", "prune", "-f", "--filter", "until=soon"}, "invalid filter 'until=soon'"},
		{[]string{"volume", "prune", "-f", "--filter", "dangling=true"}, "invalid filter 'dangling'"},
		{[]string{"builder", "prune", "-f", "--filter", "until=yesterday"}, `"until" filter expects a duration`},
	} {
		if msg := e.dockerFail(tc.args...); !strings.Contains(msg, tc.want) {
			t.Errorf("docker %v: %q, want %q", tc.args, msg, tc.want)
		}
	}

	// Each prune that ran is an event, as dockerd logs them.
	out := e.docker("events", "--since", strconv.FormatInt(start.Unix(), 10), "--until", strconv.FormatInt(time.Now().Unix()+1, 10),
		"--filter", "event=prune", "--format", "{{.Type}} {{.Actor.Attributes.reclaimed}}")
	counts := map[string]int{}
	for _, row := range lines(out) {
		typ, reclaimed, _ := strings.Cut(row, " ")
		counts[typ]++
		if typ != "image" && reclaimed != "0" {
			t.Errorf("event %q: want nothing reclaimed", row)
		}
	}
	if want := map[string]int{"container": 3, "network": 3, "volume": 2, "image": 2, "builder": 3}; !maps.Equal(counts, want) {
		t.Errorf("prune events %v, want %v", counts, want)
	}
}
