package images

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/containerd/containerd/v2/core/content"
	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

type recorder struct {
	mu   sync.Mutex
	msgs []jsonstream.Message
}

func (r *recorder) WriteMessage(m jsonstream.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, m)
	return nil
}

// lines renders "id: status [current/total]" per message.
func (r *recorder) lines() []string {
	var out []string
	for _, m := range r.msgs {
		s := m.ID + ": " + m.Status
		if m.Progress == nil {
			s += " (no progressDetail)"
		} else if m.Progress.Total > 0 {
			s += fmt.Sprintf(" %d/%d", m.Progress.Current, m.Progress.Total)
		}
		out = append(out, s)
	}
	return out
}

func TestPushProgressRows(t *testing.T) {
	ctx := context.Background()
	tracker := docker.NewInMemoryTracker()
	rec := &recorder{}
	p := newPushProgress(rec, tracker)
	layer := func(s string) ocispec.Descriptor {
		return ocispec.Descriptor{MediaType: c8dimages.MediaTypeDockerSchema2LayerGzip, Digest: digest.FromString(s), Size: 100}
	}
	pushed, exists, mounted, waiting := layer("a"), layer("b"), layer("c"), layer("d")
	config := ocispec.Descriptor{MediaType: c8dimages.MediaTypeDockerSchema2Config, Digest: digest.FromString("cfg"), Size: 10}
	manifest := ocispec.Descriptor{MediaType: c8dimages.MediaTypeDockerSchema2Manifest, Digest: digest.FromString("m"), Size: 10}
	for _, d := range []ocispec.Descriptor{manifest, config, pushed, exists, mounted, waiting, pushed} {
		p.add(d)
	}
	key := func(d ocispec.Descriptor) string { return remotes.MakeRefKey(ctx, d) }
	tracker.SetStatus(key(pushed), docker.Status{Status: content.Status{Total: 100, Offset: 40}})
	tracker.SetStatus(key(exists), docker.Status{Committed: true, PushStatus: docker.PushStatus{Exists: true}})
	tracker.SetStatus(key(mounted), docker.Status{Committed: true, Status: content.Status{Total: 100, Offset: 100},
		PushStatus: docker.PushStatus{MountedFrom: "127.0.0.1:5000/library/busybox"}})
	p.sample(ctx)
	p.sample(ctx) // nothing changed: nothing sent
	tracker.SetStatus(key(pushed), docker.Status{Committed: true, Status: content.Status{Total: 100, Offset: 100}})
	p.markUnavailable()
	p.finish(ctx)

	id := func(d ocispec.Descriptor) string { return shortID(d.Digest) }
	want := []string{
		id(pushed) + ": Preparing", id(exists) + ": Preparing", id(mounted) + ": Preparing", id(waiting) + ": Preparing",
		id(pushed) + ": Pushing 40/100", id(exists) + ": Layer already exists", id(mounted) + ": Mounted from library/busybox",
		id(waiting) + ": Waiting",
		id(pushed) + ": Pushed", id(waiting) + ": Unavailable",
	}
	if got := rec.lines(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
