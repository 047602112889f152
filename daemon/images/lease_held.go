package images

import (
	"context"
	"sync"

	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/leases"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/daemon/storage"
)

// Blobs join an operation's lease in batches, one metadata write each
// (every write is a bbolt commit, serialised across the daemon), and each
// blob once: a no-op re-pull, a save or a push leases an image's content a
// level of its tree at a time, and the blobs it then reads are already
// held.

// heldBlobs remembers, per lease the service made (startLease), the blobs
// added to it. A blob, once in a lease, stays until the lease goes, so
// adding it again changes nothing.
type heldBlobs struct {
	mu     sync.Mutex
	leases map[string]map[digest.Digest]struct{}
}

func newHeldBlobs() *heldBlobs {
	return &heldBlobs{leases: map[string]map[digest.Digest]struct{}{}}
}

// open starts remembering for lease id; close forgets it.
func (h *heldBlobs) open(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.leases[id] = map[digest.Digest]struct{}{}
}

func (h *heldBlobs) close(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.leases, id)
}

// missing returns those of ds lease id may not hold yet (all of them for a
// lease not remembered).
func (h *heldBlobs) missing(id string, ds []digest.Digest) []digest.Digest {
	h.mu.Lock()
	defer h.mu.Unlock()
	set, ok := h.leases[id]
	if !ok {
		return ds
	}
	var out []digest.Digest
	for _, d := range ds {
		if _, held := set[d]; !held {
			out = append(out, d)
		}
	}
	return out
}

// added records that lease id holds ds.
func (h *heldBlobs) added(id string, ds []digest.Digest) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if set, ok := h.leases[id]; ok {
		for _, d := range ds {
			set[d] = struct{}{}
		}
	}
}

// leaseBlobs adds the blobs ds, and the other resources, to the context's
// lease in one metadata write; the blobs the lease holds already are left
// out. Without a lease it does nothing and reports false.
func (s *ImageService) leaseBlobs(ctx context.Context, ds []digest.Digest, other ...leases.Resource) (bool, error) {
	id, ok := leases.FromContext(ctx)
	if !ok {
		return false, nil
	}
	ds = s.held.missing(id, ds)
	rs := make([]leases.Resource, 0, len(ds)+len(other))
	for _, d := range ds {
		rs = append(rs, leases.Resource{ID: d.String(), Type: "content"})
	}
	if err := storage.AddResources(ctx, s.leases, leases.Lease{ID: id}, append(rs, other...)); err != nil {
		return true, err
	}
	s.held.added(id, ds)
	return true, nil
}

// heldPresent reports whether the context's lease holds blob d (as far as
// the service remembers) and d is present: then it stays while the lease
// does.
func (s *ImageService) heldPresent(ctx context.Context, d digest.Digest) bool {
	id, ok := leases.FromContext(ctx)
	if !ok || len(s.held.missing(id, []digest.Digest{d})) > 0 {
		return false
	}
	ok, err := blobPresent(ctx, s.content, d)
	return err == nil && ok
}

// leaseImageContent adds every blob an image references (that is present)
// to the context's lease, so GC keeps the previous image while a pull runs
// (and a push, save or load keeps what it reads). Each blob joins the lease
// before it is looked at: one found present afterwards stays (a collection
// running beside it cannot take it any more), one found missing is not
// walked into. The tree is leased a level at a time.
func (s *ImageService) leaseImageContent(ctx context.Context, img c8dimages.Image) error {
	level := []ocispec.Descriptor{img.Target}
	seen := map[digest.Digest]bool{}
	for len(level) > 0 {
		ds := make([]digest.Digest, len(level))
		for i, d := range level {
			ds[i] = d.Digest
		}
		if leased, err := s.leaseBlobs(ctx, ds); err != nil || !leased {
			return err
		}
		var next []ocispec.Descriptor
		for _, d := range level {
			children, err := c8dimages.Children(ctx, s.content, d)
			if errdefs.IsNotFound(err) {
				continue
			}
			if err != nil {
				return err
			}
			for _, c := range children {
				if !seen[c.Digest] {
					seen[c.Digest] = true
					next = append(next, c)
				}
			}
		}
		level = next
	}
	return nil
}
