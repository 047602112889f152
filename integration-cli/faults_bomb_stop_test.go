package integrationcli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/berth-dev/berth/testutil/berthd"
	"github.com/berth-dev/berth/testutil/dockercli"
	"github.com/berth-dev/berth/testutil/fixtures"
	"github.com/berth-dev/berth/testutil/registry"
)

// TestFaultBombCancelled interrupts `docker pull` (Ctrl-C) while a bomb is
// being extracted: berthd stops extracting within seconds (its CPU goes
// idle, no decoder process stays), and the snapshot, blobs and ingests are
// gone; the daemon serves on.
func TestFaultBombCancelled(t *testing.T) {
	e := newImageEnv(t)
	size := bombSize(8<<30, 64<<30)
	b := e.serveBomb("bomb/cancel", "v1", fixtures.Bomb{FileSize: size, WrongDiffID: true})
	p := e.cli.Start("pull", e.ref("bomb/cancel", "v1"))
	waitFor(t, "the extraction to be under way", time.Minute, func() bool { return e.extractedBytes() > 32<<20 })
	if err := p.Interrupt(); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	extracted := e.extractedBytes()
	waitChan(t, "docker pull to exit", p.Done())
	e.waitNothingStored("the interrupted pull", 10*time.Second)
	took := time.Since(stopped)
	if took > 5*time.Second {
		t.Errorf("the interrupted pull took %v to be cleaned up, want < 5 s", took)
	}
	pid := e.d.PID()
	cpu := cpuTime(t, pid)
	time.Sleep(time.Second)
	if used := cpuTime(t, pid) - cpu; used > 300*time.Millisecond {
		t.Errorf("berthd used %v of CPU in the second after the cleanup: still extracting?", used)
	}
	if kids := children(pid); len(kids) > 0 {
		t.Errorf("berthd still runs %v", kids)
	}
	t.Logf("figures: bomb (%d MiB gzip → %s) interrupted after %s extracted: stopped and cleaned up in %v, berthd peak RSS %d MiB",
		b.Layer.Size>>20, mib(b.TarSize), mib(extracted), took.Round(100*time.Millisecond), e.peakRSS())
	e.pushPull("team/after", "v1", smallImage(3))
}

// TestFaultBombDiskFull pulls a bomb onto a data root on a 160 MiB tmpfs:
// the pull fails saying the disk is full, the space comes back, and the
// daemon pulls the next image.
func TestFaultBombDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	mnt := t.TempDir()
	if err := unix.Mount("tmpfs", mnt, "tmpfs", 0, "size=160m,mode=0755"); err != nil {
		t.Skipf("mount tmpfs: %v", err)
	}
	t.Cleanup(func() { _ = unix.Unmount(mnt, unix.MNT_DETACH) })
	reg := registry.Start(t)
	d := berthd.Start(t, "--insecure-registry", reg.Host(), "--data-root", filepath.Join(mnt, "root"))
	e := &imageEnv{t: t, reg: reg, d: d, cli: dockercli.New(t, d.Host())}
	baseline := usedBytes(t, mnt)

	b := e.serveBomb("bomb/full", "v1", fixtures.Bomb{FileSize: bombSize(1<<30, 8<<30), WrongDiffID: true})
	start := time.Now()
	msg := e.dockerFail("pull", e.ref("bomb/full", "v1"))
	took := time.Since(start)
	if !strings.Contains(msg, "no space left on device") {
		t.Errorf("pull onto a full disk: %q, want it to say \"no space left on device\"", msg)
	}
	e.waitNothingStored("the failed pull", 15*time.Second)
	var used int64
	waitFor(t, "the space to come back", 10*time.Second, func() bool {
		used = usedBytes(t, mnt)
		return used-baseline < 1<<20
	})
	t.Logf("figures: bomb (%d KiB gzip → %s) onto a 160 MiB data root: ENOSPC in %v, space back to baseline (+%d KiB), berthd peak RSS %d MiB",
		b.Layer.Size>>10, mib(b.TarSize), took.Round(100*time.Millisecond), (used-baseline)>>10, e.peakRSS())
	e.pushPull("team/after", "v1", smallImage(4))
}

// usedBytes is the space used on the filesystem holding dir.
func usedBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Blocks-st.Bfree) * st.Bsize
}
