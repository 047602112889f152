package system

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client/pkg/versions"

	"github.com/berth-dev/berth/api/server/httputils"
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
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("`since` time (%s) cannot be after `until` time (%s)",
			r.Form.Get("since"), r.Form.Get("until")))
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

	version := httputils.VersionFromContext(ctx)
	legacy := versions.LessThan(version, "1.52")
	contentType := types.MediaTypeJSONLines
	if legacy {
		contentType = types.MediaTypeJSON // what older dockerd said
	}
	if ct := httputils.MatchAccept(r.Header, []string{types.MediaTypeJSONLines, types.MediaTypeNDJSON, types.MediaTypeJSONSequence}); ct != "" {
		contentType = ct
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	jenc := json.NewEncoder(w)
	enc := eventEncoder(func(ev events.Message) error {
		if contentType == types.MediaTypeJSONSequence {
			// RFC 7464: a record separator before each JSON text.
			if _, err := w.Write([]byte{0x1e}); err != nil {
				return err
			}
		}
		if legacy {
			return jenc.Encode(withLegacyFields(ev))
		}
		return jenc.Encode(ev)
	})
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

// eventEncoder writes one event.
type eventEncoder func(events.Message) error

func (e eventEncoder) Encode(ev events.Message) error { return e(ev) }

// withLegacyFields adds the fields API 1.22 deprecated but dockerd sent
// until API 1.52 (the CLI before 25.0 and compose read them): "status" and
// "id" for image events, and "from" too for container ones; like dockerd's
// (omitempty), an empty one is left out: a prune event has no "id".
func withLegacyFields(ev events.Message) any {
	var extra map[string]any
	switch ev.Type {
	case events.ImageEventType:
		extra = nonEmpty("status", string(ev.Action), "id", ev.Actor.ID)
	case events.ContainerEventType:
		extra = nonEmpty("status", string(ev.Action), "id", ev.Actor.ID, "from", ev.Actor.Attributes["image"])
	default:
		return ev
	}
	return httputils.Legacy{Base: ev, Extra: extra}
}

// nonEmpty maps the keys of kv (key, value, key, value…) to their values,
// leaving out the empty ones.
func nonEmpty(kv ...string) map[string]any {
	out := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			out[kv[i]] = kv[i+1]
		}
	}
	return out
}

// parseTimestamp reads dockerd's since/until values: Unix seconds with an
// optional fraction ("1700000000.000000001"). The CLI converts durations and
// dates to this form before sending.
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
