package storage

import (
	"context"

	"github.com/containerd/containerd/v2/core/leases"
	"github.com/containerd/containerd/v2/core/metadata/boltutil"
	bolt "go.etcd.io/bbolt"
)

// ResourceAdder is a lease manager that adds several resources to a lease
// at once. Each AddResource of containerd's metadata lease manager is its
// own bbolt commit (two fdatasyncs, serialised across the daemon); a pull
// leasing the blobs and snapshots of twenty layers waits on forty of them.
// The embedded lease manager implements it with one commit.
type ResourceAdder interface {
	AddResources(ctx context.Context, l leases.Lease, rs []leases.Resource) error
}

// AddResources adds rs to l: with m's batch when it has one, else one call
// each.
func AddResources(ctx context.Context, m leases.Manager, l leases.Lease, rs []leases.Resource) error {
	if b, ok := m.(ResourceAdder); ok {
		return b.AddResources(ctx, l, rs)
	}
	for _, r := range rs {
		if err := m.AddResource(ctx, l, r); err != nil {
			return err
		}
	}
	return nil
}

// AddResources runs every AddResource in one metadata transaction (which,
// like each single one, excludes garbage collection).
func (m syncLeaseManager) AddResources(ctx context.Context, l leases.Lease, rs []leases.Resource) error {
	if len(rs) == 0 {
		return nil
	}
	return m.db.Update(func(tx *bolt.Tx) error {
		tctx := boltutil.WithTransaction(ctx, tx)
		for _, r := range rs {
			if err := m.Manager.AddResource(tctx, l, r); err != nil {
				return err
			}
		}
		return nil
	})
}

func (w nsLeaseManager) AddResources(ctx context.Context, l leases.Lease, rs []leases.Resource) error {
	return AddResources(w.ns.ctx(ctx), w.m, l, rs)
}

var _ ResourceAdder = nsLeaseManager{}
