// Package events is the daemon's event log: a bounded history for "since"
// queries and live subscribers, each with its own filters.
package events

import (
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/types/events"

	"github.com/berth-dev/berth/api/types/filters"
)

// DefaultHistory is how many past events are kept for "since" queries.
const DefaultHistory = 1024

// subscriberBuffer is how many events a slow subscriber may lag before it
// misses events rather than blocking the daemon.
const subscriberBuffer = 256

// Log records events and fans them out.
type Log struct {
	mu      sync.Mutex
	history []events.Message
	max     int
	subs    map[*subscriber]struct{}
	closed  bool
}

type subscriber struct {
	ch    chan events.Message
	f     filters.Args
	until time.Time
}

// New returns a log keeping at most max past events (DefaultHistory if 0).
func New(max int) *Log {
	if max <= 0 {
		max = DefaultHistory
	}
	return &Log{max: max, subs: map[*subscriber]struct{}{}}
}

// Log records an event of type t now and sends it to the subscribers.
func (l *Log) Log(t events.Type, action events.Action, actor events.Actor) {
	now := time.Now()
	msg := events.Message{
		Type:     t,
		Action:   action,
		Actor:    actor,
		Scope:    "local",
		Time:     now.Unix(),
		TimeNano: now.UnixNano(),
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.history) >= l.max {
		copy(l.history, l.history[1:])
		l.history = l.history[:len(l.history)-1]
	}
	l.history = append(l.history, msg)
	for s := range l.subs {
		if !Match(s.f, msg) {
			continue
		}
		select {
		case s.ch <- msg:
		default: // the subscriber is too slow; drop rather than block
		}
	}
}

// Subscribe returns the stored events in [since, until] matching f, a
// channel of new matching events, and a cancel function.
func (l *Log) Subscribe(since, until time.Time, f filters.Args) ([]events.Message, <-chan events.Message, func()) {
	s := &subscriber{ch: make(chan events.Message, subscriberBuffer), f: f, until: until}
	l.mu.Lock()
	if l.closed {
		close(s.ch)
		l.mu.Unlock()
		return nil, s.ch, func() {}
	}
	var past []events.Message
	if !since.IsZero() {
		for _, ev := range l.history {
			t := time.Unix(0, ev.TimeNano)
			if t.Before(since) || (!until.IsZero() && t.After(until)) {
				continue
			}
			if Match(f, ev) {
				past = append(past, ev)
			}
		}
	}
	l.subs[s] = struct{}{}
	l.mu.Unlock()
	cancel := func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if _, ok := l.subs[s]; ok {
			delete(l.subs, s)
			close(s.ch)
		}
	}
	return past, s.ch, cancel
}

// Close ends every subscription (their channels close), so event streams
// end and a graceful stop need not wait for them.
func (l *Log) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	for s := range l.subs {
		delete(l.subs, s)
		close(s.ch)
	}
}

// SubscriberCount is the number of live subscribers (for GET /info).
func (l *Log) SubscriberCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.subs)
}

// Match reports whether ev passes the filters type, event, image, label
// (and scope), as dockerd's events filter does.
func Match(f filters.Args, ev events.Message) bool {
	if f.Has("type") && !f[("type")][string(ev.Type)] {
		return false
	}
	if f.Has("event") && !matchAction(f.Values("event"), string(ev.Action)) {
		return false
	}
	if f.Has("scope") && !f["scope"][ev.Scope] {
		return false
	}
	if f.Has("label") && !f.MatchLabels("label", ev.Actor.Attributes) {
		return false
	}
	if f.Has("image") {
		if ev.Type != events.ImageEventType && ev.Type != events.ContainerEventType {
			return false
		}
		if !matchImage(f.Values("image"), ev) {
			return false
		}
	}
	return true
}

func matchAction(want []string, action string) bool {
	for _, w := range want {
		if w == action || strings.HasPrefix(action, w+":") {
			return true
		}
	}
	return false
}

// matchImage accepts the actor ID or its name attribute, with or without tag.
func matchImage(want []string, ev events.Message) bool {
	candidates := []string{ev.Actor.ID, ev.Actor.Attributes["name"], ev.Actor.Attributes["image"]}
	for _, w := range want {
		for _, c := range candidates {
			if c == "" {
				continue
			}
			if c == w || stripTag(c) == w || stripTag(c) == stripTag(w) && !strings.Contains(w, ":") {
				return true
			}
		}
	}
	return false
}

// stripTag removes a ":tag" (not a registry port) from a reference.
func stripTag(ref string) string {
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref[:i]
	}
	return ref
}
