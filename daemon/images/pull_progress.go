package images

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/api/types/backend"
)

// layerPhase is how far a layer has come, in the order a user sees it.
type layerPhase int

const (
	phaseWaiting layerPhase = iota
	phaseDownloading
	phaseDownloaded
	phaseExtracting
	phaseComplete
)

// layerProgress is one layer of the manifest being pulled.
type layerProgress struct {
	desc    ocispec.Descriptor
	id      string        // first 12 hex characters of the layer digest
	chainID digest.Digest // snapshot key once unpacked
	present bool          // blob or snapshot there before the pull
	phase   layerPhase
	waited  bool                // "Waiting" sent (once per layer)
	sent    jsonstream.Progress // last numbers sent, to skip repeats
	retry   *layerRetry         // a retry being counted down (pull_progress_retry.go)
}

// pullProgress turns the state of the content store and the snapshotter
// into dockerd's progress lines: "Pulling fs layer", "Downloading",
// "Download complete", "Extracting" (with bytes), "Pull complete". It is the
// one place a pull's layer lines come from: a format either hands it the
// layers before fetching them (track) or reports its downloads as layer
// events and hands it the layers afterwards (LayerProgress, then adopt).
// finish, called once by the pipeline, ends it.
type pullProgress struct {
	out         backend.ProgressWriter
	store       content.Store
	snapshotter snapshots.Snapshotter

	mu        sync.Mutex
	layers    []*layerProgress
	extracted map[digest.Digest]int64 // compressed bytes read by the applier
	// events holds what layer events (LayerProgress) reported before the
	// layers were known.
	events layerEvents

	ticks sampler
}

func newPullProgress(out backend.ProgressWriter, store content.Store, sn snapshots.Snapshotter) *pullProgress {
	return &pullProgress{
		out:         out,
		store:       store,
		snapshotter: sn,
		extracted:   map[digest.Digest]int64{},
	}
}

// track records the layers about to be fetched (chainIDs parallel to
// layers, may be nil when unknown), reports their starting state and starts
// following them. When everything is already present nothing is reported at
// all, as dockerd.
func (p *pullProgress) track(ctx context.Context, layers []ocispec.Descriptor, chainIDs []digest.Digest) {
	p.setLayers(ctx, layers, chainIDs)
	p.start(ctx)
}

func (p *pullProgress) setLayers(ctx context.Context, layers []ocispec.Descriptor, chainIDs []digest.Digest) {
	var all []*layerProgress
	allPresent := true
	for i, l := range layers {
		lp := &layerProgress{desc: l, id: shortID(l.Digest)}
		if i < len(chainIDs) {
			lp.chainID = chainIDs[i]
		}
		inStore, _ := blobPresent(ctx, p.store, l.Digest)
		lp.present = inStore || p.snapshotPresent(ctx, lp.chainID)
		if lp.present {
			lp.phase = phaseComplete
		} else {
			allPresent = false
		}
		all = append(all, lp)
	}
	p.mu.Lock()
	p.layers = all
	p.mu.Unlock()
	if allPresent {
		return
	}
	for _, lp := range all {
		status := "Pulling fs layer"
		if lp.present {
			status = "Already exists"
		}
		_ = p.out.WriteMessage(layerStatus(lp.id, status, nil))
	}
}

// layerStatus is one layer line. Like dockerd, every layer line carries a
// progressDetail object, "{}" when there are no numbers: the CLI keeps a
// layer on its own line, updated in place, only while its messages have one.
func layerStatus(id, status string, detail *jsonstream.Progress) jsonstream.Message {
	if detail == nil {
		detail = &jsonstream.Progress{}
	}
	return jsonstream.Message{ID: id, Status: status, Progress: detail}
}

// waitingFor reports that the layer whose blob digest or chain ID is d waits
// for another pull that is fetching or unpacking it.
func (p *pullProgress) waitingFor(d digest.Digest) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, lp := range p.layers {
		if (lp.desc.Digest == d || lp.chainID == d) && lp.phase < phaseComplete && !lp.waited {
			lp.waited = true
			p.send(lp, "Waiting", nil)
		}
	}
}

// waitingForAll reports that every layer not complete waits for another
// pull bringing it (a pull that follows another, pull_join.go).
func (p *pullProgress) waitingForAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, lp := range p.layers {
		if lp.phase < phaseComplete && !lp.waited {
			lp.waited = true
			p.send(lp, "Waiting", nil)
		}
	}
}

// extractProgress is the applier's progress callback (embedded mode): the
// compressed bytes of desc read so far.
func (p *pullProgress) extractProgress(desc ocispec.Descriptor, n int64) {
	p.mu.Lock()
	p.extracted[desc.Digest] = n
	p.mu.Unlock()
}

// start samples progress every interval until finish.
func (p *pullProgress) start(ctx context.Context) {
	p.ticks.start(ctx, p.sample)
}

// finish stops sampling. On success every layer this pull brought is
// reported complete, so the last layer line comes before "Digest:".
func (p *pullProgress) finish(ctx context.Context, success bool) {
	p.ticks.halt()
	if !success {
		return
	}
	p.sample(ctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, lp := range p.layers {
		if lp.phase < phaseDownloaded {
			p.send(lp, "Download complete", nil)
			lp.phase = phaseDownloaded
		}
		if lp.phase < phaseComplete {
			p.send(lp, "Pull complete", nil)
			lp.phase = phaseComplete
		}
	}
}

// sample reads ingest statuses, committed blobs, applier progress and
// snapshots once, and sends what changed.
func (p *pullProgress) sample(ctx context.Context) {
	statuses := map[digest.Digest]content.Status{}
	if list, err := p.store.ListStatuses(ctx); err == nil {
		for _, st := range list {
			if d, ok := ingestDigest(st.Ref); ok {
				statuses[d] = st
			}
		}
	}
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, lp := range p.layers {
		if lp.phase == phaseComplete {
			continue
		}
		if lp.phase < phaseDownloaded {
			st, ok := statuses[lp.desc.Digest]
			if ok && st.Offset > 0 {
				if p.retryOver(lp, st.Offset, now) {
					total := st.Total
					if total <= 0 {
						total = lp.desc.Size
					}
					p.send(lp, "Downloading", &jsonstream.Progress{Current: st.Offset, Total: total})
					lp.phase = phaseDownloading
				}
			} else if inStore, _ := blobPresent(ctx, p.store, lp.desc.Digest); inStore {
				lp.retry = nil
				p.send(lp, "Download complete", nil)
				lp.phase = phaseDownloaded
			} else if lp.retry != nil {
				p.countDown(lp, now)
			}
		}
		if n, ok := p.extracted[lp.desc.Digest]; ok && lp.phase >= phaseDownloaded {
			p.send(lp, "Extracting", &jsonstream.Progress{Current: n, Total: lp.desc.Size})
			lp.phase = phaseExtracting
		}
		if lp.phase >= phaseDownloaded && p.snapshotPresent(ctx, lp.chainID) {
			p.send(lp, "Pull complete", nil)
			lp.phase = phaseComplete
		}
	}
}

// send writes a layer line unless it repeats the last one. Caller holds mu.
func (p *pullProgress) send(lp *layerProgress, status string, detail *jsonstream.Progress) {
	if detail != nil {
		if lp.sent == *detail {
			return
		}
		lp.sent = *detail
	}
	_ = p.out.WriteMessage(layerStatus(lp.id, status, detail))
}

func (p *pullProgress) snapshotPresent(ctx context.Context, chainID digest.Digest) bool {
	if chainID == "" || p.snapshotter == nil {
		return false
	}
	info, err := p.snapshotter.Stat(ctx, chainID.String())
	return err == nil && info.Kind == snapshots.KindCommitted
}

// ingestDigest reads the digest out of containerd's ingest ref keys
// ("layer-sha256:…", "manifest-sha256:…").
func ingestDigest(ref string) (digest.Digest, bool) {
	i := strings.Index(ref, "sha256:")
	if i < 0 {
		return "", false
	}
	d, err := digest.Parse(ref[i:])
	return d, err == nil
}
