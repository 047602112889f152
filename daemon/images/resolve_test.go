package images

import (
	"context"
	"strings"
	"testing"

	"github.com/containerd/errdefs"

	"github.com/berth-dev/berth/distribution/schema1"
)

// TestGetImage: every way a user names an image resolves to the record
// dockerd would pick, and names that designate nothing give dockerd's
// errors.
func TestGetImage(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	app, _ := putImage(t, s, "app", nil)
	other, _ := putImage(t, s, "other", nil)
	legacy, _ := putImage(t, s, "legacy", nil)
	putRecord(t, s, "docker.io/library/app:latest", app, nil)
	putRecord(t, s, "docker.io/library/app:v1", app, nil)
	putRecord(t, s, "registry.example:5000/team/other:1", other, nil)
	schema1Digest := "sha256:" + strings.Repeat("5", 64)
	putRecord(t, s, "docker.io/library/old:1", legacy, map[string]string{schema1.AnnotationSchema1Digest: schema1Digest})

	appID := app.Digest.String()
	for _, tc := range []struct{ name, want string }{
		{"app", "docker.io/library/app:latest"},
		{"app:v1", "docker.io/library/app:v1"},
		{"docker.io/library/app:v1", "docker.io/library/app:v1"},
		{appID, "docker.io/library/app:latest"},
		{app.Digest.Encoded(), "docker.io/library/app:latest"},
		{app.Digest.Encoded()[:12], "docker.io/library/app:latest"},
		{"sha256:" + app.Digest.Encoded()[:8], "docker.io/library/app:latest"},
		{"app@" + appID, "docker.io/library/app:latest"},
		{"registry.example:5000/team/other:1", "registry.example:5000/team/other:1"},
		// A converted schema 1 image is found by its registry digest.
		{"old@" + schema1Digest, "docker.io/library/old:1"},
	} {
		img, err := s.GetImage(ctx, tc.name)
		if err != nil {
			t.Errorf("GetImage(%q): %v", tc.name, err)
			continue
		}
		if img.Name != tc.want {
			t.Errorf("GetImage(%q) = %s, want %s", tc.name, img.Name, tc.want)
		}
	}

	for _, tc := range []struct {
		name, msg string
		class     func(error) bool
	}{
		{"nope", "No such image: nope:latest", errdefs.IsNotFound},
		{"other:1", "No such image: other:1", errdefs.IsNotFound},
		// A digest stored under another repository is not this one's.
		{"other@" + appID, "No such image: other@" + appID, errdefs.IsNotFound},
		// Three hex digits are a name, not an ID prefix.
		{app.Digest.Encoded()[:3], "No such image: " + app.Digest.Encoded()[:3] + ":latest", errdefs.IsNotFound},
		{"", "image name cannot be blank", errdefs.IsInvalidArgument},
		{"Upper/Case", "invalid reference format", errdefs.IsInvalidArgument},
	} {
		_, err := s.GetImage(ctx, tc.name)
		if err == nil || !tc.class(err) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("GetImage(%q) error %v, want %q", tc.name, err, tc.msg)
		}
	}
}

// TestResolveByIDSeesAllNames: an ID designates the image with every name.
func TestResolveByIDSeesAllNames(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	app, _ := putImage(t, s, "app", nil)
	putRecord(t, s, "docker.io/library/app:v1", app, nil)
	putRecord(t, s, "docker.io/library/app:latest", app, nil)
	r, err := s.resolve(ctx, app.Digest.String())
	if err != nil {
		t.Fatal(err)
	}
	if !r.byID || len(r.all) != 2 || r.all[0].Name != "docker.io/library/app:latest" || r.target() != app.Digest {
		t.Fatalf("resolution %+v", r)
	}
	r, err = s.resolve(ctx, "app:v1")
	if err != nil {
		t.Fatal(err)
	}
	if r.byID || r.match == nil || r.match.Name != "docker.io/library/app:v1" || len(r.all) != 2 {
		t.Fatalf("resolution by name %+v", r)
	}
}
