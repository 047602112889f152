package integrationcli

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// Fault suite: tests named TestFault* put berthd under crashes, hostile
// registries and hostile clients. `make test` runs them with few rounds;
// `make faults` sets BERTH_FAULT_ROUNDS for longer loops and prints their
// figures (lines starting "figures:").

// faultRounds is how many rounds a looping fault test runs: def, or
// $BERTH_FAULT_ROUNDS when set.
func faultRounds(t *testing.T, def int) int {
	t.Helper()
	if s := os.Getenv("BERTH_FAULT_ROUNDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("BERTH_FAULT_ROUNDS=%q: want a positive number", s)
		}
		return n
	}
	return def
}

// mountsOf returns the host mounts that refer to dir: mounted under it,
// bind-mounting something from it, or overlay mounts whose layers are in it.
func mountsOf(t *testing.T, dir string) []*mountinfo.Info {
	t.Helper()
	ms, err := mountinfo.GetMounts(func(m *mountinfo.Info) (skip, stop bool) {
		refers := strings.HasPrefix(m.Mountpoint, dir+"/") || strings.Contains(m.Root, dir+"/") ||
			strings.Contains(m.VFSOptions, dir+"/") || strings.Contains(m.Source, dir+"/")
		return !refers, false
	})
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// outside returns the mount points of ms that are not under dir.
func outside(ms []*mountinfo.Info, dir string) []string {
	var out []string
	for _, m := range ms {
		if !strings.HasPrefix(m.Mountpoint, dir+"/") {
			out = append(out, m.Mountpoint)
		}
	}
	return out
}

func mountpoints(ms []*mountinfo.Info) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.Mountpoint)
	}
	return out
}

// unmountOutside detaches the mounts referring to dir that are mounted
// elsewhere (what a berthd leaking mounts leaves), so a failing test does not
// leave them on the host.
func unmountOutside(t *testing.T, dir string) {
	for _, mp := range outside(mountsOf(t, dir), dir) {
		if err := unix.Unmount(mp, unix.MNT_DETACH); err == nil {
			_ = os.Remove(mp)
		}
	}
}
