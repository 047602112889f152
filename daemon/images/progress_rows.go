package images

import (
	"context"
	"time"

	"github.com/opencontainers/go-digest"
)

// progressInterval is how often layer progress is sampled and sent: each
// layer gets at most one update per interval, so a pull never floods.
const progressInterval = 100 * time.Millisecond

// shortID is the layer ID the CLI shows.
func shortID(d digest.Digest) string {
	enc := d.Encoded()
	if len(enc) > 12 {
		return enc[:12]
	}
	return enc
}

// sampler runs a progress sample every progressInterval, from start until
// halt or the end of the context: the clock of pull and push rows.
type sampler struct {
	stop chan struct{}
	done chan struct{}
}

// start calls sample every progressInterval in a goroutine of its own.
func (s *sampler) start(ctx context.Context, sample func(context.Context)) {
	s.stop = make(chan struct{})
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		t := time.NewTicker(progressInterval)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				sample(ctx)
			}
		}
	}()
}

// halt stops the sampling and waits for a sample under way to end. It does
// nothing when sampling never started or is already halted.
func (s *sampler) halt() {
	if s.stop == nil {
		return
	}
	close(s.stop)
	<-s.done
	s.stop = nil
}
