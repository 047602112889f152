package images

import (
	"context"
	"sync"

	c8dimages "github.com/containerd/containerd/v2/core/images"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/layer"
	"github.com/berth-dev/berth/layer/inflight"
)

// layerStreams lets a pull apply its layers while they download (embedded
// storage): the fetch of a missing layer blob runs in the background,
// announced to the inflight table, and the layer's handler returns at once,
// so containerd's unpacker starts applying it right away, reading the blob
// as it is written. The applier only completes once the blob is committed
// (verified), so nothing unverified becomes a snapshot (layer/inflight).
type layerStreams struct {
	table  *inflight.Table
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	handles []*inflight.Handle
	err     error // the first failed download
}

// streamLayers returns the streams of one pull's fetch; ctx carries its
// lease. Downloads run under a context of their own (the unpacker cancels
// the one it gives handlers as soon as they return) that wait cancels when
// the pull failed.
func (s *ImageService) streamLayers(ctx context.Context) (*layerStreams, context.Context) {
	dctx, cancel := context.WithCancel(ctx)
	return &layerStreams{table: s.inflight, cancel: cancel}, dctx
}

// wrapper makes h's fetches of layers missing from store background
// downloads under dctx. Without a table it changes nothing.
func (ls *layerStreams) wrapper(dctx context.Context, present func(context.Context, ocispec.Descriptor) bool) func(c8dimages.Handler) c8dimages.Handler {
	return func(h c8dimages.Handler) c8dimages.Handler {
		if ls.table == nil {
			return h
		}
		return c8dimages.HandlerFunc(func(ctx context.Context, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
			if !layer.IsMediaType(desc.MediaType) || present(ctx, desc) {
				return h.Handle(ctx, desc)
			}
			hd := ls.table.Expect(desc)
			ls.mu.Lock()
			ls.handles = append(ls.handles, hd)
			ls.mu.Unlock()
			ls.wg.Add(1)
			go func() {
				defer ls.wg.Done()
				_, err := h.Handle(dctx, desc)
				hd.Done(err)
				if err != nil {
					ls.mu.Lock()
					if ls.err == nil {
						ls.err = err
					}
					ls.mu.Unlock()
				}
			}()
			return nil, nil
		})
	}
}

// wait waits for the background downloads, cancelling them first when the
// pull already failed, and returns the first download error. What they
// fetched stays under the pull's lease (a later pull resumes it).
func (ls *layerStreams) wait(failed bool) error {
	if failed {
		ls.cancel()
	}
	ls.wg.Wait()
	ls.cancel()
	ls.mu.Lock()
	defer ls.mu.Unlock()
	for _, hd := range ls.handles {
		hd.Release()
	}
	ls.handles = nil
	return ls.err
}
