package integrationcli

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// bombSize is small in `make test` and large in `make faults` (when
// BERTH_FAULT_ROUNDS is set).
func bombSize(small, large int64) int64 {
	if os.Getenv("BERTH_FAULT_ROUNDS") != "" {
		return large
	}
	return small
}

// serveBomb builds b and serves its image as repo:tag.
func (e *imageEnv) serveBomb(repo, tag string, b fixtures.Bomb) fixtures.BuiltBomb {
	e.t.Helper()
	built, err := b.Build()
	if err != nil {
		e.t.Fatal(err)
	}
	for _, g := range []fixtures.Generated{built.Layer, built.Config} {
		e.reg.ServeBlob(repo, g.Size, g.Digest, g.Open)
	}
	m := built.Manifest
	e.reg.ServeManifestStream(repo, m.MediaType, m.Size, m.Digest, m.Open, tag)
	return built
}

// snapshotDirs lists the snapshot directories of every snapshotter.
func (e *imageEnv) snapshotDirs() []string {
	dirs, _ := filepath.Glob(filepath.Join(e.d.DataRoot(), "containerd", "snapshots", "*", "snapshots", "*"))
	return dirs
}

// extractedBytes is the space the snapshot directories take, tolerating
// files that vanish while it walks.
func (e *imageEnv) extractedBytes() int64 {
	var n int64
	for _, dir := range e.snapshotDirs() {
		_ = filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
			if err == nil {
				n += fi.Sys().(*syscall.Stat_t).Blocks * 512
			}
			return nil
		})
	}
	return n
}

// waitNothingStored waits until berthd holds no image, blob, ingest or
// snapshot after what, and returns how long that took.
func (e *imageEnv) waitNothingStored(what string, timeout time.Duration) time.Duration {
	e.t.Helper()
	start := time.Now()
	waitFor(e.t, "nothing stored after "+what, timeout, func() bool {
		return len(e.contentBlobs()) == 0 && len(e.ingests()) == 0 && len(e.snapshotDirs()) == 0
	})
	took := time.Since(start)
	if ids := strings.TrimSpace(e.docker("images", "-aq")); ids != "" {
		e.t.Errorf("images listed after %s: %s", what, ids)
	}
	return took
}

// cpuTime is the CPU time process pid has used.
func cpuTime(t *testing.T, pid int) time.Duration {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the command name, which ends with ')': utime and stime
	// are the 12th and 13th (in clock ticks, 100 a second on Linux).
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// children lists the commands of the processes whose parent is pid (a
// decoder such as unpigz left running).
func children(pid int) []string {
	var out []string
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range stats {
		raw, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		s := string(raw)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			out = append(out, s[strings.IndexByte(s, '(')+1:strings.LastIndexByte(s, ')')])
		}
	}
	return out
}

// mib formats n bytes in MiB (GiB from 10 GiB).
func mib(n int64) string {
	if n >= 10<<30 {
		return fmt.Sprintf("%d GiB", n>>30)
	}
	return fmt.Sprintf("%d MiB", n>>20)
}

// peakRSS is berthd's peak resident set in MiB, for the figures.
func (e *imageEnv) peakRSS() int64 {
	e.t.Helper()
	n, err := e.d.PeakRSS()
	if err != nil {
		e.t.Fatal(err)
	}
	return n >> 20
}
