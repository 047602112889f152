package storage

import (
	"testing"

	"github.com/containerd/containerd/v2/core/images"
)

// TestRecordJournal: the changes after a generation come back in commit
// order; a reader further behind than the journal keeps is told to list
// every record again.
func TestRecordJournal(t *testing.T) {
	j := &recordJournal{}
	j.note(RecordChange{Name: "a", Image: &images.Image{Name: "a"}})
	j.note(RecordChange{Name: "b", Image: &images.Image{Name: "b"}})
	j.note(RecordChange{Name: "a"})
	got, now, ok := j.since(1)
	if !ok || now != 3 || len(got) != 2 || got[0].Name != "b" || got[1].Name != "a" || got[1].Image != nil {
		t.Fatalf("since(1) = %+v, %d, %v; want b created then a deleted, at 3", got, now, ok)
	}
	if got, now, ok := j.since(3); !ok || now != 3 || len(got) != 0 {
		t.Fatalf("since(now) = %+v, %d, %v; want nothing", got, now, ok)
	}
	if _, _, ok := j.since(4); ok {
		t.Fatal("since a generation not reached yet: ok")
	}
	for range maxJournal {
		j.note(RecordChange{Name: "c"})
	}
	if _, _, ok := j.since(0); ok {
		t.Fatalf("since(0) after %d changes: ok, want the caller to list again", j.gen)
	}
	if got, now, ok := j.since(j.gen - 10); !ok || len(got) != 10 || now != j.gen {
		t.Fatalf("the last 10 changes: %d, ok %v", len(got), ok)
	}
}
