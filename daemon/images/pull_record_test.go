package images

import (
	"context"
	"testing"

	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/distribution/reference"
)

// TestPullRecord runs the pipeline's record step over a real store: the
// store's own answer says whether the name was replaced, the image it named
// before is kept as dangling only then, and the status lines say which.
func TestPullRecord(t *testing.T) {
	ctx := context.Background()
	ref, _ := reference.ParseNormalizedNamed("app:latest")
	name := ref.String()

	pull := func(t *testing.T, s *ImageService, res pullResult, old pullBase) (bool, []string) {
		t.Helper()
		_, replaced, err := s.storeImage(ctx, c8dimages.Image{Name: name, Target: res.target})
		if err != nil {
			t.Fatal(err)
		}
		rec := &progressLines{}
		s.recordPull(ctx, ref, res, old, replaced, rec)
		return replaced, rec.take()
	}
	dangling := func(s *ImageService, res pullResult) bool {
		_, err := s.images.Get(ctx, danglingName(res.target.Digest))
		return err == nil
	}

	t.Run("new name", func(t *testing.T) {
		s := newTestService(t)
		m, _ := putImage(t, s, "v1", nil)
		res := pullResult{target: m, registryDigest: m.Digest}
		replaced, lines := pull(t, s, res, s.holdPrevious(ctx, ref))
		if replaced {
			t.Error("a first pull replaced something")
		}
		want := []string{" Digest: " + m.Digest.String(), " Status: Downloaded newer image for app:latest"}
		if len(lines) != 2 || lines[0] != want[0] || lines[1] != want[1] {
			t.Errorf("lines %q, want %q", lines, want)
		}
	})

	t.Run("newer image", func(t *testing.T) {
		s := newTestService(t)
		v1, _ := putImage(t, s, "v1", nil)
		v2, _ := putImage(t, s, "v2", nil)
		putRecord(t, s, name, v1, nil)
		old := s.holdPrevious(ctx, ref)
		replaced, _ := pull(t, s, pullResult{target: v2, registryDigest: v2.Digest}, old)
		if !replaced {
			t.Fatal("the store updated the record but the pull says it did not replace it")
		}
		if !dangling(s, pullResult{target: v1}) {
			t.Error("the replaced image was not kept as dangling")
		}
	})

	t.Run("up to date", func(t *testing.T) {
		s := newTestService(t)
		v1, _ := putImage(t, s, "v1", nil)
		putRecord(t, s, name, v1, nil)
		_, lines := pull(t, s, pullResult{target: v1, registryDigest: v1.Digest}, s.holdPrevious(ctx, ref))
		if len(lines) != 2 || lines[1] != " Status: Image is up to date for app:latest" {
			t.Errorf("lines %q", lines)
		}
		if dangling(s, pullResult{target: v1}) {
			t.Error("an up-to-date image was made dangling")
		}
	})

	t.Run("previous removed during the pull", func(t *testing.T) {
		s := newTestService(t)
		v1, _ := putImage(t, s, "v1", nil)
		v2, _ := putImage(t, s, "v2", nil)
		putRecord(t, s, name, v1, nil)
		old := s.holdPrevious(ctx, ref)
		if err := s.images.Delete(ctx, name); err != nil {
			t.Fatal(err)
		}
		replaced, _ := pull(t, s, pullResult{target: v2, registryDigest: v2.Digest}, old)
		if replaced {
			t.Error("the store created the record but the pull says it replaced one")
		}
		if dangling(s, pullResult{target: v1}) {
			t.Error("an image removed during the pull came back as dangling")
		}
	})
}
