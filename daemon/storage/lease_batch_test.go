package storage

import (
	"context"
	"slices"
	"testing"

	"github.com/containerd/containerd/v2/core/leases"
)

// TestAddResourcesIsOneWrite: the embedded lease manager adds several
// resources to a lease in one metadata write, and the lease then lists
// them all; a missing lease fails the whole batch, adding nothing.
func TestAddResourcesIsOneWrite(t *testing.T) {
	requireRoot(t)
	s := openEmbeddedForTest(t, t.TempDir(), SnapshotterNative)
	ctx := context.Background()
	lm := s.Client().LeasesService()
	l, err := lm.Create(ctx, leases.WithRandomID())
	if err != nil {
		t.Fatal(err)
	}
	rs := []leases.Resource{
		{ID: "sha256:0a0b0c0d0e0f0a0b0c0d0e0f0a0b0c0d0e0f0a0b0c0d0e0f0a0b0c0d0e0f0a0b", Type: "content"},
		{ID: "sha256:1a1b1c1d1e1f1a1b1c1d1e1f1a1b1c1d1e1f1a1b1c1d1e1f1a1b1c1d1e1f1a1b", Type: "content"},
		{ID: "sha256:2a2b2c2d2e2f2a2b2c2d2e2f2a2b2c2d2e2f2a2b2c2d2e2f2a2b2c2d2e2f2a2b", Type: "snapshots/" + s.Snapshotter()},
	}
	before, _, _ := s.Generations()
	if err := AddResources(ctx, lm, l, rs); err != nil {
		t.Fatal(err)
	}
	if after, _, _ := s.Generations(); after != before+1 {
		t.Errorf("adding %d resources took %d metadata writes, want 1", len(rs), after-before)
	}
	got, err := lm.ListResources(ctx, l)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if !slices.Contains(got, r) {
			t.Errorf("the lease lacks %v: it lists %v", r, got)
		}
	}

	gone := leases.Lease{ID: "no-such-lease"}
	if err := AddResources(ctx, lm, gone, rs); err == nil {
		t.Error("adding resources to a missing lease succeeded")
	}
}
