package images

import (
	"context"
	"sync"

	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/api/types/backend"
)

// Concurrent pulls of one reference that resolve to the same manifest for
// the same platform are one pull: the first (the leader) runs the pipeline,
// and each later one (a follower) reports the layers as every pull does,
// from the content store and the snapshotter, showing "Waiting" for those
// the leader is bringing, and ends with the leader's result. A follower
// resolved the reference itself, with its own credentials, so it gets
// nothing it could not have pulled. It writes no metadata (no lease, no
// record, no label: the leader's record is the one it would have written),
// which is what makes 20 pulls of one image cost about one. When the leader
// fails (its client went away, say), a follower pulls on its own.

// pullFlights holds the leaders' pulls under way, by flightKey.
type pullFlights struct {
	mu sync.Mutex
	m  map[string]*pullFlight
}

func newPullFlights() *pullFlights { return &pullFlights{m: map[string]*pullFlight{}} }

// pullFlight is one leader's pull as its followers see it.
type pullFlight struct {
	ready     chan struct{} // closed once layers are set, or the pull ended
	readyOnce sync.Once
	done      chan struct{} // closed when the pull ended; err and res are set
	layers    []ocispec.Descriptor
	chainIDs  []digest.Digest
	err       error
	res       pullResult
}

// flightKey is what pulls must share to be one: the reference, the
// manifest (or index) it resolved to and the platform.
func flightKey(ref reference.Named, root digest.Digest, platform ocispec.Platform) string {
	return ref.String() + "@" + root.String() + " " + platforms.FormatAll(platform)
}

// join returns the flight of key and whether the caller leads it (then it
// must call end).
func (f *pullFlights) join(key string) (*pullFlight, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fl, ok := f.m[key]; ok {
		return fl, false
	}
	fl := &pullFlight{ready: make(chan struct{}), done: make(chan struct{})}
	f.m[key] = fl
	return fl, true
}

// end records the leader's outcome and lets its followers go. A pull that
// starts after end leads a flight of its own.
func (f *pullFlights) end(key string, fl *pullFlight, res pullResult, err error) {
	f.mu.Lock()
	delete(f.m, key)
	f.mu.Unlock()
	fl.res, fl.err = res, err
	fl.readyOnce.Do(func() { close(fl.ready) })
	close(fl.done)
}

// publish gives the followers the layers the leader is about to fetch
// (chainIDs parallel to layers).
func (fl *pullFlight) publish(layers []ocispec.Descriptor, chainIDs []digest.Digest) {
	fl.readyOnce.Do(func() {
		fl.layers, fl.chainIDs = layers, chainIDs
		close(fl.ready)
	})
}

// follow reports the leader's pull of ref to out and returns its result.
// led is false when the leader failed or what it recorded is gone already:
// the caller then pulls on its own.
func (s *ImageService) follow(ctx context.Context, ref reference.Named, fl *pullFlight, out backend.ProgressWriter) (led bool, err error) {
	prev, perr := s.images.Get(ctx, ref.String())
	select {
	case <-fl.ready:
	case <-ctx.Done():
		return true, ctx.Err()
	}
	var progress *pullProgress
	if fl.layers != nil {
		_ = out.WriteMessage(jsonstream.Message{ID: tagOrDigest(ref), Status: "Pulling from " + reference.Path(ref)})
		progress = newPullProgress(out, s.content, s.snapshotService())
		progress.track(ctx, fl.layers, fl.chainIDs)
		progress.waitingForAll()
	}
	select {
	case <-fl.done:
	case <-ctx.Done():
		if progress != nil {
			progress.finish(ctx, false)
		}
		return true, ctx.Err()
	}
	ok := fl.err == nil && progress != nil
	if ok {
		img, err := s.images.Get(ctx, ref.String())
		ok = err == nil && img.Target.Digest == fl.res.target.Digest
	}
	if progress != nil {
		progress.finish(ctx, ok)
	}
	if !ok {
		return false, nil
	}
	upToDate := perr == nil && prev.Target.Digest == fl.res.target.Digest
	s.reportPulled(ctx, ref, fl.res, upToDate, out)
	return true, nil
}
