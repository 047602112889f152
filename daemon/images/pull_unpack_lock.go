package images

import (
	"context"
	"strings"
	"sync"

	"github.com/opencontainers/go-digest"
)

// Concurrent pulls of one image unpack each layer once: containerd's
// unpacker takes a keyed lock around the unpack of each layer
// ("sn://<snapshotter>/<chain ID>", held from preparing the snapshot to
// committing it) and around each blob's fetch ("blob://<digest>"), and
// after taking a layer's lock finds the snapshot another pull committed
// meanwhile. berth gives every pull the same locks (the unpacker's default
// locks nothing), and a pull that must wait shows "Waiting" for that
// layer, as dockerd's graphdriver pull did.

// keyedLocks is a set of mutexes by key, shared by all pulls; waiting for
// one ends with the caller's context.
type keyedLocks struct {
	mu   sync.Mutex
	held map[string]chan struct{} // closed on unlock
}

func newKeyedLocks() *keyedLocks { return &keyedLocks{held: map[string]chan struct{}{}} }

// lock takes key, calling waiting once first if another holder has it.
func (k *keyedLocks) lock(ctx context.Context, key string, waiting func()) error {
	for {
		k.mu.Lock()
		ch, busy := k.held[key]
		if !busy {
			k.held[key] = make(chan struct{})
			k.mu.Unlock()
			return nil
		}
		k.mu.Unlock()
		if waiting != nil {
			waiting()
			waiting = nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (k *keyedLocks) unlock(key string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if ch, ok := k.held[key]; ok {
		delete(k.held, key)
		close(ch)
	}
}

// pullLocks is one pull's view of the shared locks (containerd's
// unpack.KeyedLocker): waits are reported to its progress.
type pullLocks struct {
	locks    *keyedLocks
	progress *pullProgress
}

// Lock implements unpack.KeyedLocker.
func (p pullLocks) Lock(ctx context.Context, key string) error {
	return p.locks.lock(ctx, key, func() { p.progress.waitingFor(lockedDigest(key)) })
}

// Unlock implements unpack.KeyedLocker.
func (p pullLocks) Unlock(key string) { p.locks.unlock(key) }

// lockedDigest is the chain ID or blob digest a lock key names.
func lockedDigest(key string) digest.Digest {
	return digest.Digest(key[strings.LastIndex(key, "/")+1:])
}
