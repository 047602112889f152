package images

import (
	"context"
	"sync"

	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/api/types/backend"
)

// pushJob is one blob row of a push.
type pushJob struct {
	desc ocispec.Descriptor
	id   string
	done bool
	// last is the line last sent, to send changes only.
	last jsonstream.Message
}

// pushProgress turns the push tracker's statuses into dockerd's rows:
// "Preparing" when a blob is first seen, "Waiting", "Pushing" with bytes,
// then one of "Pushed", "Layer already exists" ("Already exists" for other
// blobs) or "Mounted from <repository>". Indexes, manifests and configs have
// no row. Every line carries a progressDetail object so terminals redraw
// the row in place.
type pushProgress struct {
	out     backend.ProgressWriter
	tracker docker.StatusTracker

	mu   sync.Mutex
	jobs []*pushJob
	seen map[digest.Digest]bool
	// unavailable marks rows that never started as "Unavailable" (after
	// falling back from an index to one manifest).
	unavailable bool

	ticks sampler
}

func newPushProgress(out backend.ProgressWriter, tracker docker.StatusTracker) *pushProgress {
	return &pushProgress{out: out, tracker: tracker, seen: map[digest.Digest]bool{}}
}

// showRow reports whether a blob gets a row: everything but indexes,
// manifests and configs (small JSON documents), as dockerd.
func showRow(desc ocispec.Descriptor) bool {
	switch {
	case c8dimages.IsLayerType(desc.MediaType):
		return true
	case c8dimages.IsIndexType(desc.MediaType), c8dimages.IsManifestType(desc.MediaType), c8dimages.IsConfigType(desc.MediaType):
		return false
	}
	return true
}

// wrapper adds a row for each blob the push dispatch reaches.
func (p *pushProgress) wrapper(h c8dimages.Handler) c8dimages.Handler {
	return c8dimages.HandlerFunc(func(ctx context.Context, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
		p.add(desc)
		return h.Handle(ctx, desc)
	})
}

func (p *pushProgress) add(desc ocispec.Descriptor) {
	if !showRow(desc) || desc.Digest.Validate() != nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.seen[desc.Digest] {
		return
	}
	p.seen[desc.Digest] = true
	j := &pushJob{desc: desc, id: shortID(desc.Digest)}
	p.jobs = append(p.jobs, j)
	p.send(j, "Preparing", nil)
}

// markUnavailable shows rows that have not started as "Unavailable".
func (p *pushProgress) markUnavailable() {
	p.mu.Lock()
	p.unavailable = true
	p.mu.Unlock()
}

// start samples the tracker every progressInterval until finish.
func (p *pushProgress) start(ctx context.Context) {
	p.ticks.start(ctx, p.sample)
}

// finish stops sampling and sends the final state of every row.
func (p *pushProgress) finish(ctx context.Context) {
	p.ticks.halt()
	p.sample(ctx)
}

// sample sends each unfinished row's current state.
func (p *pushProgress) sample(ctx context.Context) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, j := range p.jobs {
		if j.done {
			continue
		}
		st, err := p.tracker.GetStatus(remotes.MakeRefKey(ctx, j.desc))
		notStarted := err != nil || (st.Total > 0 && st.Offset == 0 && !st.Committed)
		switch {
		case notStarted && p.unavailable:
			p.send(j, "Unavailable", nil)
		case err != nil && errdefs.IsNotFound(err):
			p.send(j, "Waiting", nil)
		case err != nil:
		case st.Committed && st.Offset >= st.Total:
			p.send(j, finalStatus(j.desc, st), nil)
			j.done = true
		default:
			p.send(j, "Pushing", &jsonstream.Progress{Current: st.Offset, Total: st.Total})
		}
	}
}

// finalStatus is the last word of a finished row.
func finalStatus(desc ocispec.Descriptor, st docker.Status) string {
	switch {
	case st.MountedFrom != "":
		from := st.MountedFrom
		if ref, err := reference.ParseNormalizedNamed(from); err == nil {
			from = reference.Path(ref)
		}
		return "Mounted from " + from
	case st.Exists && c8dimages.IsLayerType(desc.MediaType):
		return "Layer already exists"
	case st.Exists:
		return "Already exists"
	}
	return "Pushed"
}

// send writes a row's line unless it repeats the last one. Caller holds mu.
func (p *pushProgress) send(j *pushJob, status string, detail *jsonstream.Progress) {
	msg := layerStatus(j.id, status, detail)
	if j.last.Status == msg.Status && j.last.Progress != nil && *j.last.Progress == *msg.Progress {
		return
	}
	j.last = msg
	_ = p.out.WriteMessage(msg)
}
