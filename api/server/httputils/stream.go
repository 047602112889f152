package httputils

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"

	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client/pkg/jsonmessage"
	"github.com/moby/moby/client/pkg/versions"
)

// progressBarWidth is the width dockerd rendered the legacy "progress" bar
// for: it had no terminal, so the renderer's default applied.
const progressBarWidth = 200

// JSONStream writes streamed messages as dockerd does: each JSON object is
// followed by "\r\n" and flushed at once. It is safe for concurrent use.
type JSONStream struct {
	mu             sync.Mutex
	w              http.ResponseWriter
	started        bool
	progressString bool
}

// StreamOption configures a JSONStream.
type StreamOption func(*JSONStream)

// WithProgressString makes the stream add the pre-rendered "progress" bar
// string beside progressDetail, as dockerd did up to API 1.51 (moby 29
// dropped it; docker-py and dockerode users still print it).
func WithProgressString(on bool) StreamOption {
	return func(s *JSONStream) { s.progressString = on }
}

// ProgressStringFor reports whether API version v still gets the rendered
// "progress" string: every version before 1.52, the first one served by a
// dockerd (29) that no longer sends it. An empty v is the newest.
func ProgressStringFor(v string) bool {
	return v != "" && versions.LessThan(v, "1.52")
}

// NewJSONStream prepares w for a JSON message stream. Nothing is written
// until the first message, so an early error can still be a plain HTTP error.
func NewJSONStream(w http.ResponseWriter, opts ...StreamOption) *JSONStream {
	s := &JSONStream{w: w}
	for _, o := range opts {
		o(s)
	}
	return s
}

// NewProgressStream is NewJSONStream for a route that streams progress
// (pull, push, load, import): clients of an API version before 1.52 also get
// the rendered "progress" string, as dockerd's stream formatter sent it on
// every progress stream.
func NewProgressStream(ctx context.Context, w http.ResponseWriter) *JSONStream {
	return NewJSONStream(w, WithProgressString(ProgressStringFor(VersionFromContext(ctx))))
}

// Started reports whether any message was written.
func (s *JSONStream) Started() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started
}

// WriteMessage writes one message and flushes it.
func (s *JSONStream) WriteMessage(msg jsonstream.Message) error {
	// Older clients read the error text from "error" beside "errorDetail",
	// and the rendered bar from "progress" beside "progressDetail".
	type withLegacyFields struct {
		jsonstream.Message
		ProgressMessage string `json:"progress,omitempty"`
		ErrorMessage    string `json:"error,omitempty"`
	}
	out := withLegacyFields{Message: msg}
	if msg.Error != nil {
		out.ErrorMessage = msg.Error.Message
	}
	if s.progressString && msg.Progress != nil {
		out.ProgressMessage = jsonmessage.RenderTUIProgress(*msg.Progress, progressBarWidth)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	b = append(b, '\r', '\n')
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		s.w.Header().Set("Content-Type", "application/json")
		s.w.WriteHeader(http.StatusOK)
		s.started = true
	}
	if _, err := s.w.Write(b); err != nil {
		return err
	}
	if f, ok := s.w.(http.Flusher); ok {
		f.Flush()
	}
	return nil
}

// WriteError reports err in-band, as dockerd does once a stream began.
func (s *JSONStream) WriteError(err error) error {
	return s.WriteMessage(jsonstream.Message{
		Error: &jsonstream.Error{Message: err.Error()},
	})
}
