package storage

import (
	"bytes"
	"math/rand/v2"
	"testing"

	digest "github.com/opencontainers/go-digest"
)

// TestAsyncDigesterMatchesSHA256: the diff ID hashed beside the untar is
// the stream's sha256 whatever the sizes of the writes (from none at all
// to several blocks at once, across block boundaries).
func TestAsyncDigesterMatchesSHA256(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pool := newBlockPool()
	for _, size := range []int{0, 1, hashBlock - 1, hashBlock, hashBlock + 1, 5*hashBlock + 12345} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		d := newAsyncDigester(pool)
		for rest := data; len(rest) > 0; {
			n := min(len(rest), 1+rng.IntN(3*hashBlock))
			if k, err := d.Write(rest[:n]); k != n || err != nil {
				t.Fatalf("Write = %d, %v", k, err)
			}
			rest = rest[n:]
		}
		if got, want := d.Digest(), digest.FromBytes(data); got != want {
			t.Errorf("%d bytes: digest %s, want %s", size, got, want)
		}
		d.close() // after Digest: a no-op
	}
	// Abandoned mid-stream (a failed untar): close ends the goroutine.
	d := newAsyncDigester(pool)
	d.Write(bytes.Repeat([]byte("x"), 2*hashBlock+7))
	d.close()
}
