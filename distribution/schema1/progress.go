package schema1

import (
	"errors"
	"io"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
)

// EventKind is what happened to a layer blob during Convert.
type EventKind int

const (
	// LayerExists: the blob is already in the content store; it is not
	// fetched (dockerd: "Already exists").
	LayerExists EventKind = iota + 1
	// LayerQueued: the blob will be fetched. Sent for every missing blob
	// before any download starts (dockerd: "Pulling fs layer").
	LayerQueued
	// LayerDownloading: bytes were written. The first one is sent when the
	// download starts (Current > 0 when a previous ingest is resumed), then
	// at most every 100ms, and a last one with Current == Total
	// (dockerd: "Downloading" with a progress bar).
	LayerDownloading
	// LayerDownloaded: the blob matched its digest and was committed
	// (dockerd: "Download complete").
	LayerDownloaded
)

// ProgressEvent reports a step for one layer blob. A blob listed several
// times in the manifest is reported once.
type ProgressEvent struct {
	Kind EventKind
	// Digest is the layer blob digest (dockerd shows its first 12 hex
	// characters as the progress ID).
	Digest digest.Digest
	// Current is the number of bytes in the store; Total the blob size, or
	// -1 when the registry did not announce it. Set for LayerDownloading
	// and LayerDownloaded (and Total for LayerExists).
	Current, Total int64
}

// ProgressObserver receives the converter's per-layer events. It is
// called from several goroutines at once (one per blob being fetched), in
// order for any one blob; it must not block for long.
type ProgressObserver interface {
	LayerProgress(ProgressEvent)
}

// ProgressFunc adapts a function to ProgressObserver.
type ProgressFunc func(ProgressEvent)

// LayerProgress calls f(e).
func (f ProgressFunc) LayerProgress(e ProgressEvent) { f(e) }

// progressInterval throttles LayerDownloading events.
const progressInterval = 100 * time.Millisecond

// progressReader reports LayerDownloading events for the bytes read through
// it. Seek is passed through (content.Copy seeks to resume an ingest).
type progressReader struct {
	r      io.Reader
	emit   func(ProgressEvent)
	dgst   digest.Digest
	total  int64
	mu     sync.Mutex
	offset int64
	last   time.Time
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.mu.Lock()
		p.offset += int64(n)
		now := time.Now()
		send := now.Sub(p.last) >= progressInterval
		if send {
			p.last = now
		}
		cur := p.offset
		p.mu.Unlock()
		if send {
			p.emit(ProgressEvent{Kind: LayerDownloading, Digest: p.dgst, Current: cur, Total: p.total})
		}
	}
	return n, err
}

// Seek moves the underlying reader, which must be an io.Seeker.
func (p *progressReader) Seek(offset int64, whence int) (int64, error) {
	s, ok := p.r.(io.Seeker)
	if !ok {
		return 0, errors.New("layer reader cannot seek")
	}
	n, err := s.Seek(offset, whence)
	if err == nil {
		p.mu.Lock()
		p.offset = n
		p.mu.Unlock()
	}
	return n, err
}

// start reports the first LayerDownloading event at the resume offset.
func (p *progressReader) start(offset int64) {
	p.mu.Lock()
	p.offset, p.last = offset, time.Now()
	p.mu.Unlock()
	p.emit(ProgressEvent{Kind: LayerDownloading, Digest: p.dgst, Current: offset, Total: p.total})
}
