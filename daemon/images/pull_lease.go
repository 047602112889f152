package images

import (
	"context"
	"strconv"
	"time"

	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/leases"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// pullLeaseExpiry is a safety net only: a running berthd deletes a pull's
// lease when the pull ends, and deletes leases left by a crash when it
// starts (RemoveStalePullLeases). It is long so no slow pull outlives its
// lease.
const pullLeaseExpiry = 24 * time.Hour

// pullLeaseLabel marks pull leases so tools (and prune) can tell them apart.
const pullLeaseLabel = "berth.pull.reference"

// startPullLease creates the one lease a pull operation runs under. The
// returned release deletes it; after a failed or cancelled pull it deletes
// synchronously so garbage collection frees what the pull left at once.
func (s *ImageService) startPullLease(ctx context.Context, ref string) (context.Context, func(failed bool), error) {
	return s.startLease(ctx, pullLeaseLabel, ref)
}

// operationLeaseLabel marks the leases of saves and loads; the value names
// the operation.
const operationLeaseLabel = "berth.operation"

// startOperationLease is startPullLease for a save or a load.
func (s *ImageService) startOperationLease(ctx context.Context, op string) (context.Context, func(failed bool), error) {
	return s.startLease(ctx, operationLeaseLabel, op)
}

// startLease creates a lease labelled label=value, removed by release (and,
// after a crash, by RemoveStalePullLeases).
func (s *ImageService) startLease(ctx context.Context, label, value string) (context.Context, func(failed bool), error) {
	l, err := s.leases.Create(ctx,
		leases.WithRandomID(),
		leases.WithExpiration(pullLeaseExpiry),
		leases.WithLabel(label, value),
	)
	if err != nil {
		return ctx, nil, err
	}
	release := func(failed bool) {
		var opts []leases.DeleteOpt
		if failed {
			opts = append(opts, leases.SynchronousDelete)
		}
		if err := s.leases.Delete(context.WithoutCancel(ctx), l, opts...); err != nil && !errdefs.IsNotFound(err) {
			log.G(ctx).WithError(err).WithField("lease", l.ID).Warn("failed to delete the lease")
		}
	}
	return leases.WithLease(ctx, l.ID), release, nil
}

// leaseImageContent adds every blob an image references (that is present)
// to the context's lease, so GC keeps the previous image while a pull runs.
func (s *ImageService) leaseImageContent(ctx context.Context, img c8dimages.Image) error {
	leaseID, ok := leases.FromContext(ctx)
	if !ok {
		return nil
	}
	l := leases.Lease{ID: leaseID}
	return s.walkPresent(ctx, img.Target, func(ctx context.Context, desc ocispec.Descriptor) error {
		return s.leases.AddResource(ctx, l, leases.Resource{ID: desc.Digest.String(), Type: "content"})
	})
}

// RemoveStalePullLeases deletes the pull (and save and load) leases a
// previous berthd left when it died mid-operation, so their partial content is collected now rather than
// when the leases expire. Call it at start-up, before serving.
func (s *ImageService) RemoveStalePullLeases(ctx context.Context) error {
	list, err := s.leases.List(ctx, "labels."+strconv.Quote(pullLeaseLabel), "labels."+strconv.Quote(operationLeaseLabel))
	if err != nil {
		return err
	}
	for i, l := range list {
		var opts []leases.DeleteOpt
		if i == len(list)-1 {
			opts = append(opts, leases.SynchronousDelete)
		}
		if err := s.leases.Delete(ctx, l, opts...); err != nil && !errdefs.IsNotFound(err) {
			return err
		}
		if op, ok := l.Labels[operationLeaseLabel]; ok {
			log.G(ctx).WithFields(log.Fields{"lease": l.ID, "operation": op}).Info("removed the lease of an interrupted " + op)
			continue
		}
		log.G(ctx).WithFields(log.Fields{"lease": l.ID, "reference": l.Labels[pullLeaseLabel]}).Info("removed the lease of an interrupted pull")
	}
	return nil
}
