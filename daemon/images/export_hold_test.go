package images

import (
	"context"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
)

// The images a save starts with are held from before their names can go:
// after holdExportItems, removing a name collects nothing the save needs,
// and a name already gone is "No such image" before anything is written.
func TestSaveHoldsItsImagesAgainstRemoval(t *testing.T) {
	s := newTestService(t)
	manifest, layer := putImage(t, s, "saved", nil)
	putRecord(t, s, "example.com/saved:v1", manifest, nil)
	ctx, release, err := s.startOperationLease(context.Background(), "save")
	if err != nil {
		t.Fatal(err)
	}
	defer release(false)
	items, err := s.holdExportItems(ctx, []string{"example.com/saved:v1"})
	if err != nil || len(items) != 1 || items[0].image.Target.Digest != manifest.Digest {
		t.Fatalf("holdExportItems = %+v, %v; want the image of %s", items, err, manifest.Digest)
	}
	if err := s.images.Delete(context.Background(), "example.com/saved:v1"); err != nil {
		t.Fatal(err)
	}
	if !collect(t, s, manifest) || !collect(t, s, layer) {
		t.Fatal("removing the name collected content of a save that had started")
	}
	if _, err := s.holdExportItems(ctx, []string{"example.com/saved:v1"}); !errdefs.IsNotFound(err) || !strings.Contains(err.Error(), "No such image") {
		t.Fatalf("holdExportItems of a removed name = %v, want No such image", err)
	}
}
