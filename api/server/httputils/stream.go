package httputils

import (
	"encoding/json"
	"net/http"
	"sync"

	"github.com/moby/moby/api/types/jsonstream"
)

// JSONStream writes streamed messages as dockerd does: each JSON object is
// followed by "\r\n" and flushed at once. It is safe for concurrent use.
type JSONStream struct {
	mu      sync.Mutex
	w       http.ResponseWriter
	started bool
}

// NewJSONStream prepares w for a JSON message stream. Nothing is written
// until the first message, so an early error can still be a plain HTTP error.
func NewJSONStream(w http.ResponseWriter) *JSONStream {
	return &JSONStream{w: w}
}

// Started reports whether any message was written.
func (s *JSONStream) Started() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started
}

// WriteMessage writes one message and flushes it.
func (s *JSONStream) WriteMessage(msg jsonstream.Message) error {
	// Older clients read the error text from "error" beside "errorDetail".
	type withLegacyError struct {
		jsonstream.Message
		ErrorMessage string `json:"error,omitempty"`
	}
	out := withLegacyError{Message: msg}
	if msg.Error != nil {
		out.ErrorMessage = msg.Error.Message
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
