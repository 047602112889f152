package images

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/containerd/containerd/v2/core/leases"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// pullLeaseExpiry bounds how long a pull's content is held by its lease
// (containerd.io/gc.expire): a running berthd deletes a pull's lease when
// the pull ends; a lease left by a crash becomes a resumable lease (below)
// and keeps the expiry, so what an interrupted pull fetched is kept for at
// most this long. It is long so no slow pull outlives its lease.
const pullLeaseExpiry = 24 * time.Hour

// pullLeaseLabel marks pull leases so tools (and prune) can tell them apart.
const pullLeaseLabel = "berth.pull.reference"

// resumableLeaseLabel marks the lease holding what an interrupted pull of a
// reference fetched (verified blobs and partial downloads), so the next pull
// of it resumes instead of downloading again. The next successful pull of
// the reference deletes it; otherwise it expires with the pull's lease.
const resumableLeaseLabel = "berth.pull.resumable"

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
	s.held.open(l.ID)
	release := func(failed bool) {
		s.held.close(l.ID)
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

// leaseLayers adds a manifest's layer blobs and the snapshots of its layer
// chain (by chain ID, the names committed layers get) to the context's
// lease, in one metadata write, before an unpack. The unpacker skips a
// layer whose snapshot exists: it neither applies nor fetches it, and
// prepares the next one on top. Without the lease, an rmi or prune of
// another image sharing that layer could collect the snapshot in between
// ("parent snapshot … does not exist"), or the blob, which the image then
// lacks for good (save and push fail). Blobs and snapshots not there yet
// are leased as they are committed. It reports whether every layer blob is
// present (and, leased, stays): if one is not, the unpacker must fetch the
// layers it skips too.
func (s *ImageService) leaseLayers(ctx context.Context, layers []ocispec.Descriptor, chainIDs []digest.Digest) (allPresent bool, err error) {
	blobs := make([]digest.Digest, len(layers))
	for i, d := range layers {
		blobs[i] = d.Digest
	}
	snaps := make([]leases.Resource, len(chainIDs))
	for i, id := range chainIDs {
		snaps[i] = leases.Resource{ID: id.String(), Type: "snapshots/" + s.snapshotter}
	}
	leased, err := s.leaseBlobs(ctx, blobs, snaps...)
	if err != nil {
		return false, fmt.Errorf("failed to lease the layers: %w", err)
	}
	if !leased {
		return false, nil
	}
	for _, d := range layers {
		if ok, err := blobPresent(ctx, s.content, d.Digest); err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// RemoveStalePullLeases handles the leases a previous berthd left when it
// died mid-operation. A pull's lease is replaced by a resumable lease: what
// the pull fetched — blobs and partial downloads (ingests, resumable by
// their stable ref keys, containerd's remotes.MakeRefKey "layer-sha256:…")
// — is kept until the pull lease would have expired, so the next pull
// resumes; its half-extracted snapshots are let go for GC. The leases of
// saves, loads and imports are removed, so their partial content goes now.
// Call it at start-up, before serving.
func (s *ImageService) RemoveStalePullLeases(ctx context.Context) error {
	list, err := s.leases.List(ctx, "labels."+strconv.Quote(pullLeaseLabel), "labels."+strconv.Quote(operationLeaseLabel))
	if err != nil {
		return err
	}
	for i, l := range list {
		op, isOperation := l.Labels[operationLeaseLabel]
		kept := 0
		if !isOperation {
			if kept, err = s.keepFetched(ctx, l); err != nil {
				return err
			}
		}
		var opts []leases.DeleteOpt
		if i == len(list)-1 {
			opts = append(opts, leases.SynchronousDelete)
		}
		if err := s.leases.Delete(ctx, l, opts...); err != nil && !errdefs.IsNotFound(err) {
			return err
		}
		if isOperation {
			log.G(ctx).WithFields(log.Fields{"lease": l.ID, "operation": op}).Info("removed the lease of an interrupted " + op)
			continue
		}
		log.G(ctx).WithFields(log.Fields{"lease": l.ID, "reference": l.Labels[pullLeaseLabel], "kept": kept}).Info("kept what an interrupted pull fetched, for the next pull")
	}
	return nil
}

// keepFetched moves the content and ingests of the pull lease l to a new
// resumable lease with l's reference and expiry, and returns how many
// resources it kept.
func (s *ImageService) keepFetched(ctx context.Context, l leases.Lease) (int, error) {
	res, err := s.leases.ListResources(ctx, l)
	if err != nil {
		return 0, err
	}
	var keep []leases.Resource
	for _, r := range res {
		if r.Type == "content" || r.Type == "ingests" {
			keep = append(keep, r)
		}
	}
	if len(keep) == 0 {
		return 0, nil
	}
	opts := []leases.Opt{leases.WithRandomID(), leases.WithLabel(resumableLeaseLabel, l.Labels[pullLeaseLabel])}
	if exp, ok := l.Labels[gcExpireLabel]; ok {
		opts = append(opts, leases.WithLabel(gcExpireLabel, exp))
	} else {
		opts = append(opts, leases.WithExpiration(pullLeaseExpiry))
	}
	nl, err := s.leases.Create(ctx, opts...)
	if err != nil {
		return 0, err
	}
	for _, r := range keep {
		if err := s.leases.AddResource(ctx, nl, r); err != nil {
			return 0, err
		}
	}
	return len(keep), nil
}

// gcExpireLabel is containerd's lease expiry label (core/leases
// WithExpiration sets it).
const gcExpireLabel = "containerd.io/gc.expire"

// dropResumable deletes the resumable leases of ref once a pull of it
// succeeded: what they held is the image's now, or is not needed.
func (s *ImageService) dropResumable(ctx context.Context, ref string) {
	list, err := s.leases.List(ctx, "labels."+strconv.Quote(resumableLeaseLabel)+"=="+strconv.Quote(ref))
	if err != nil {
		log.G(ctx).WithError(err).Warn("failed to list the resumable leases of an interrupted pull")
		return
	}
	for _, l := range list {
		if err := s.leases.Delete(ctx, l); err != nil && !errdefs.IsNotFound(err) {
			log.G(ctx).WithError(err).WithField("lease", l.ID).Warn("failed to delete the resumable lease of an interrupted pull")
		}
	}
}
