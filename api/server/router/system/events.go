package system

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/containerd/errdefs"

	"github.com/berth-dev/berth/api/types/filters"
	"github.com/berth-dev/berth/api/types/timestamp"
)

// getEvents streams events as JSON lines: first the stored ones since
// "since", then live ones until "until" (or until the client leaves).
func (s *systemRouter) getEvents(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	now := time.Now()
	since, err := parseTimestamp(r.Form.Get("since"), now)
	if err != nil {
		return err
	}
	until, err := parseTimestamp(r.Form.Get("until"), now)
	if err != nil {
		return err
	}
	if !since.IsZero() && !until.IsZero() && until.Before(since) {
		return errdefs.ErrInvalidArgument.WithMessage("`since` time cannot be after `until`")
	}
	f, err := filters.Parse(r.Form.Get("filters"))
	if err != nil {
		return err
	}
	if err := f.Validate("type", "image", "event", "label", "container", "scope", "daemon", "network", "volume", "plugin"); err != nil {
		return err
	}
	past, live, cancel := s.events.Subscribe(since, until, f)
	defer cancel()

	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	enc := json.NewEncoder(w)
	for _, ev := range past {
		if err := enc.Encode(ev); err != nil {
			return nil
		}
	}
	if flusher != nil {
		flusher.Flush()
	}
	var timeout <-chan time.Time
	if !until.IsZero() {
		if d := time.Until(until); d > 0 {
			t := time.NewTimer(d)
			defer t.Stop()
			timeout = t.C
		} else {
			return nil
		}
	}
	for {
		select {
		case ev, ok := <-live:
			if !ok {
				return nil
			}
			if err := enc.Encode(ev); err != nil {
				return nil
			}
			if flusher != nil {
				flusher.Flush()
			}
		case <-timeout:
			return nil
		case <-ctx.Done():
			return nil
		}
	}
}

// parseTimestamp reads a since/until value; "" is no bound.
func parseTimestamp(v string, now time.Time) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := timestamp.Parse(v, now)
	if err != nil {
		return time.Time{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid timestamp %q", v))
	}
	return t, nil
}
