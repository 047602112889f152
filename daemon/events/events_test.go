package events

import (
	"testing"
	"time"

	"github.com/moby/moby/api/types/events"

	"github.com/berth-dev/berth/api/types/filters"
)

func TestSubscribeFiltersAndHistory(t *testing.T) {
	l := New(3)
	for _, a := range []events.Action{events.ActionPull, events.ActionTag, events.ActionUnTag, events.ActionDelete} {
		l.Log(events.ImageEventType, a, events.Actor{ID: "alpine:latest", Attributes: map[string]string{"name": "alpine"}})
	}
	f := filters.Args{}
	f.Add("event", "tag")
	past, live, cancel := l.Subscribe(time.Unix(1, 0), time.Time{}, f)
	defer cancel()
	if len(past) != 1 || past[0].Action != events.ActionTag {
		t.Fatalf("past %+v, want the one tag event", past)
	}
	all, _, cancelAll := l.Subscribe(time.Unix(1, 0), time.Time{}, filters.Args{})
	cancelAll()
	if len(all) != 3 || all[0].Action != events.ActionTag {
		t.Fatalf("history keeps the newest 3: %+v", all)
	}
	l.Log(events.ImageEventType, events.ActionPull, events.Actor{ID: "x"})
	l.Log(events.ImageEventType, events.ActionTag, events.Actor{ID: "y"})
	select {
	case ev := <-live:
		if ev.Actor.ID != "y" {
			t.Fatalf("live event %+v, want the tag of y", ev)
		}
	case <-time.After(time.Second):
		t.Fatal("no live event")
	}
}

func TestCloseEndsSubscriptions(t *testing.T) {
	l := New(0)
	_, live, cancel := l.Subscribe(time.Time{}, time.Time{}, filters.Args{})
	l.Close()
	if _, ok := <-live; ok {
		t.Fatal("channel still open after Close")
	}
	cancel() // harmless after Close
	l.Log(events.ImageEventType, events.ActionPull, events.Actor{ID: "x"})
	if _, live2, _ := l.Subscribe(time.Time{}, time.Time{}, filters.Args{}); live2 != nil {
		if _, ok := <-live2; ok {
			t.Fatal("a subscription after Close must end at once")
		}
	}
}

func TestMatchImage(t *testing.T) {
	ev := events.Message{Type: events.ImageEventType, Action: events.ActionPull, Actor: events.Actor{ID: "alpine:3.20", Attributes: map[string]string{"name": "alpine"}}}
	for want, ok := range map[string]bool{"alpine": true, "alpine:3.20": true, "alpine:3.19": false, "busybox": false} {
		f := filters.Args{}
		f.Add("image", want)
		if Match(f, ev) != ok {
			t.Errorf("image=%s: match %v, want %v", want, !ok, ok)
		}
	}
}
