package storage

import (
	"hash"
	"sync"

	digest "github.com/opencontainers/go-digest"
)

// hashBlock is how many bytes the applier hands the diff ID's hash at a
// time; hashBlocks of them are in flight per layer.
const (
	hashBlock  = 256 << 10
	hashBlocks = 3
)

// asyncDigester computes the diff ID of a layer's tar stream on a
// goroutine of its own: written to by the untar's reads (an io.TeeReader),
// it copies the bytes into blocks and hashes full blocks beside the untar,
// which is then left with the syscalls. On a two-core machine that is
// where a pull's biggest layer spends its time, and sha256 over its
// uncompressed bytes was a fifth of it.
type asyncDigester struct {
	h     hash.Hash
	cur   []byte
	pool  *sync.Pool  // of *[]byte blocks (newBlockPool)
	taken int         // blocks taken from pool
	full  chan []byte // blocks to hash
	free  chan []byte // blocks hashed
	wg    sync.WaitGroup
}

// newBlockPool is where the digesters of one applier keep their blocks
// between layers (a pull of 30 small layers would otherwise allocate 90).
func newBlockPool() *sync.Pool {
	return &sync.Pool{New: func() any { b := make([]byte, 0, hashBlock); return &b }}
}

func newAsyncDigester(pool *sync.Pool) *asyncDigester {
	d := &asyncDigester{
		h:    digest.Canonical.Hash(),
		pool: pool,
		full: make(chan []byte, hashBlocks),
		free: make(chan []byte, hashBlocks),
	}
	d.cur = d.take()
	d.wg.Add(1)
	go func(h hash.Hash, full <-chan []byte, free chan<- []byte) {
		defer d.wg.Done()
		for b := range full {
			h.Write(b)
			free <- b[:0]
		}
	}(d.h, d.full, d.free)
	return d
}

// Write never fails: it copies p, handing full blocks to the hash.
func (d *asyncDigester) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := copy(d.cur[len(d.cur):cap(d.cur)], p)
		d.cur = d.cur[:len(d.cur)+k]
		p = p[k:]
		if len(d.cur) == cap(d.cur) {
			d.full <- d.cur
			d.cur = d.next()
		}
	}
	return n, nil
}

// Digest hashes what is left and returns the digest of everything
// written. It must be called once, after the last Write; close must be
// called in any case.
func (d *asyncDigester) Digest() digest.Digest {
	d.full <- d.cur
	d.cur = nil
	d.close()
	return digest.NewDigest(digest.Canonical, d.h)
}

// take gets a block from the pool.
func (d *asyncDigester) take() []byte {
	d.taken++
	return (*d.pool.Get().(*[]byte))[:0]
}

// next is the block to fill after one was handed to the hash: one hashed
// already, a new one while fewer than hashBlocks are out, else the next
// one hashed.
func (d *asyncDigester) next() []byte {
	select {
	case b := <-d.free:
		return b
	default:
	}
	if d.taken < hashBlocks {
		return d.take()
	}
	return <-d.free
}

// close stops the hashing goroutine (idempotent with Digest) and gives
// the blocks back to the pool.
func (d *asyncDigester) close() {
	if d.full == nil {
		return
	}
	close(d.full)
	d.full = nil
	d.wg.Wait()
	if d.cur != nil {
		d.put(d.cur)
		d.cur = nil
	}
	for {
		select {
		case b := <-d.free:
			d.put(b)
		default:
			return
		}
	}
}

func (d *asyncDigester) put(b []byte) {
	b = b[:0]
	d.pool.Put(&b)
}
