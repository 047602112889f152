package integrationcli

import (
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// Decompression bombs: small gzip layers that inflate to gigabytes
// (testutil/fixtures/bomb.go). A bomb whose diff ID matches is a valid
// image, and big files of zeros occur in real ones (disk images, sparse
// data files), so berthd unpacks it as dockerd and containerd do; what
// protects the host is that a pull can be stopped (faults_bomb_stop_test.go)
// and that a full disk fails cleanly. Data after the end of the tar archive
// is bounded: 1 MiB.

// TestFaultBombLegit pulls a bomb whose diff ID matches: it unpacks, to a
// file of the full size, in bounded memory; removing it frees the disk.
func TestFaultBombLegit(t *testing.T) {
	e := newImageEnv(t)
	size := bombSize(64<<20, 4<<30)
	b := e.serveBomb("bomb/legit", "v1", fixtures.Bomb{FileSize: size})
	ref := e.ref("bomb/legit", "v1")

	start := time.Now()
	e.docker("pull", ref)
	took := time.Since(start)
	if got := e.extractedBytes(); got < size {
		t.Errorf("the snapshots hold %d bytes, want the %d of the file", got, size)
	}
	t.Logf("figures: legit bomb (%d KiB gzip → %s tar): pulled in %v, berthd peak RSS %d MiB",
		b.Layer.Size>>10, mib(b.TarSize), took.Round(100*time.Millisecond), e.peakRSS())
	e.docker("rmi", ref)
	e.waitNothingStored("rmi", 30*time.Second)
}

// TestFaultBombTrailingData pulls layers with zeros after the end of the
// tar archive, gzip, zstd and uncompressed: tar's record padding (10 KiB)
// pulls; more is refused after the first MiB, at once, with the same error
// whatever the compression, and nothing is stored. (An uncompressed layer's
// tail is as large as its blob: a smaller one is enough to be refused.)
func TestFaultBombTrailingData(t *testing.T) {
	e := newImageEnv(t)
	for _, c := range []struct {
		name     string
		c        fixtures.Compression
		trailing int64
	}{
		{"gzip", fixtures.Gzip, bombSize(256<<20, 16<<30)},
		{"zstd", fixtures.Zstd, bombSize(256<<20, 16<<30)},
		{"uncompressed", fixtures.Uncompressed, bombSize(64<<20, 1<<30)},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := e.forT(t)
			repo := "bomb/" + c.name
			e.serveBomb(repo+"-padded", "v1", fixtures.Bomb{FileSize: 1 << 20, Trailing: 10<<10 - 1024, Compression: c.c})
			e.docker("pull", e.ref(repo+"-padded", "v1"))
			e.docker("rmi", e.ref(repo+"-padded", "v1"))
			e.waitNothingStored("rmi", 30*time.Second)

			b := e.serveBomb(repo+"-trailing", "v1", fixtures.Bomb{FileSize: 1 << 20, Trailing: c.trailing, Compression: c.c})
			start := time.Now()
			msg := e.dockerFail("pull", e.ref(repo+"-trailing", "v1"))
			took := time.Since(start)
			want := "layer " + b.Layer.Digest.String() + " has more than 1048576 bytes (1 MiB) of data after the end of its tar archive"
			if !strings.Contains(msg, want) {
				t.Errorf("pull: %q, want it to say %q", msg, want)
			}
			e.waitNothingStored("the refused pull", 15*time.Second)
			t.Logf("figures: trailing-data bomb, %s (%d KiB blob, %s after the archive): refused in %v, berthd peak RSS %d MiB",
				c.name, b.Layer.Size>>10, mib(c.trailing), took.Round(100*time.Millisecond), e.peakRSS())
		})
	}
}

// TestFaultBombWrongDiffID pulls a bomb whose config claims another diff
// ID: it is unpacked to the end (only then is the digest known), the pull
// fails naming both digests, and the snapshot is removed.
func TestFaultBombWrongDiffID(t *testing.T) {
	e := newImageEnv(t)
	size := bombSize(64<<20, 2<<30)
	b := e.serveBomb("bomb/wrong", "v1", fixtures.Bomb{FileSize: size, WrongDiffID: true})
	start := time.Now()
	msg := e.dockerFail("pull", e.ref("bomb/wrong", "v1"))
	took := time.Since(start)
	if !strings.Contains(msg, "wrong diff id") || !strings.Contains(msg, b.DiffID.String()) {
		t.Errorf("pull: %q, want a wrong diff id error naming %s", msg, b.DiffID)
	}
	e.waitNothingStored("the failed pull", 30*time.Second)
	t.Logf("figures: wrong-diff-ID bomb (%d KiB gzip → %s tar): failed in %v, nothing stored, berthd peak RSS %d MiB",
		b.Layer.Size>>10, mib(b.TarSize), took.Round(100*time.Millisecond), e.peakRSS())
}
