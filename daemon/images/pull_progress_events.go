package images

import (
	"context"

	"github.com/moby/moby/api/types/jsonstream"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/distribution/schema1"
)

// layerEvents is what a format that downloads layers itself (schema 1)
// reported, before the pull knew the layers.
type layerEvents struct {
	// exists holds the "Already exists" lines held back until a layer
	// needs downloading, so a pull of something fully present prints no
	// layer lines, as dockerd.
	exists  []digest.Digest
	showing bool
	// fetched is the set of layers this pull downloaded.
	fetched map[digest.Digest]bool
}

// LayerProgress turns the schema 1 converter's layer events into progress
// lines (pullProgress is its schema1.ProgressObserver).
func (p *pullProgress) LayerProgress(ev schema1.ProgressEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := &p.events
	id := shortID(ev.Digest)
	switch ev.Kind {
	case schema1.LayerExists:
		if !e.showing {
			e.exists = append(e.exists, ev.Digest)
			return
		}
		_ = p.out.WriteMessage(layerStatus(id, "Already exists", nil))
	case schema1.LayerQueued:
		if !e.showing {
			e.showing = true
			for _, d := range e.exists {
				_ = p.out.WriteMessage(layerStatus(shortID(d), "Already exists", nil))
			}
		}
		_ = p.out.WriteMessage(layerStatus(id, "Pulling fs layer", nil))
	case schema1.LayerDownloading:
		total := max(ev.Total, 0)
		_ = p.out.WriteMessage(layerStatus(id, "Downloading", &jsonstream.Progress{Current: ev.Current, Total: total}))
	case schema1.LayerDownloaded:
		if e.fetched == nil {
			e.fetched = map[digest.Digest]bool{}
		}
		e.fetched[ev.Digest] = true
		_ = p.out.WriteMessage(layerStatus(id, "Download complete", nil))
	}
}

// adopt takes over the layers whose downloads were reported as events:
// those this pull downloaded are followed through Extracting to Pull
// complete; the others were present before and print nothing more.
func (p *pullProgress) adopt(ctx context.Context, layers []ocispec.Descriptor, chainIDs []digest.Digest) {
	p.mu.Lock()
	fetched := p.events.fetched
	p.mu.Unlock()
	var all []*layerProgress
	for i, l := range layers {
		lp := &layerProgress{desc: l, id: shortID(l.Digest), phase: phaseComplete}
		if i < len(chainIDs) {
			lp.chainID = chainIDs[i]
		}
		if fetched[l.Digest] && !p.snapshotPresent(ctx, lp.chainID) {
			lp.phase = phaseDownloaded
		}
		all = append(all, lp)
	}
	p.mu.Lock()
	p.layers = all
	p.mu.Unlock()
	p.start(ctx)
}

// The schema 1 converter reports to the pull's progress directly.
var _ schema1.ProgressObserver = (*pullProgress)(nil)
