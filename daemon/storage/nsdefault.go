package storage

import (
	"context"
	"strings"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/diff"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/leases"
	"github.com/containerd/containerd/v2/core/mount"
	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/errdefs"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// client.WithDefaultNamespace only reaches the gRPC interceptors: services
// handed to client.WithServices see the caller's context as is, and the
// metadata stores fail with "namespace is required" when it has none. The
// wrappers below give the embedded services the interceptor's behaviour (use
// the default namespace unless the context names one), so that callers behave
// the same in both modes.

// nsCtx adds the default namespace to contexts that carry none.
type nsCtx string

func (ns nsCtx) ctx(ctx context.Context) context.Context {
	if _, ok := namespaces.Namespace(ctx); ok {
		return ctx
	}
	return namespaces.WithNamespace(ctx, string(ns))
}

type nsContentStore struct {
	ns nsCtx
	s  content.Store
}

func (w nsContentStore) Info(ctx context.Context, dgst digest.Digest) (content.Info, error) {
	return w.s.Info(w.ns.ctx(ctx), dgst)
}

func (w nsContentStore) Update(ctx context.Context, info content.Info, fieldpaths ...string) (content.Info, error) {
	return w.s.Update(w.ns.ctx(ctx), info, fieldpaths...)
}

func (w nsContentStore) Walk(ctx context.Context, fn content.WalkFunc, filters ...string) error {
	return w.s.Walk(w.ns.ctx(ctx), fn, filters...)
}

func (w nsContentStore) Delete(ctx context.Context, dgst digest.Digest) error {
	return w.s.Delete(w.ns.ctx(ctx), dgst)
}

func (w nsContentStore) ReaderAt(ctx context.Context, desc ocispec.Descriptor) (content.ReaderAt, error) {
	return w.s.ReaderAt(w.ns.ctx(ctx), desc)
}

func (w nsContentStore) Status(ctx context.Context, ref string) (content.Status, error) {
	return w.s.Status(w.ns.ctx(ctx), ref)
}

func (w nsContentStore) ListStatuses(ctx context.Context, filters ...string) ([]content.Status, error) {
	return w.s.ListStatuses(w.ns.ctx(ctx), filters...)
}

func (w nsContentStore) Abort(ctx context.Context, ref string) error {
	return w.s.Abort(w.ns.ctx(ctx), ref)
}

// Writer: the metadata writer remembers its namespace, so Commit needs none.
func (w nsContentStore) Writer(ctx context.Context, opts ...content.WriterOpt) (content.Writer, error) {
	return w.s.Writer(w.ns.ctx(ctx), opts...)
}

type nsImageStore struct {
	ns nsCtx
	s  images.Store
}

func (w nsImageStore) Get(ctx context.Context, name string) (images.Image, error) {
	return w.s.Get(w.ns.ctx(ctx), name)
}

func (w nsImageStore) List(ctx context.Context, filters ...string) ([]images.Image, error) {
	return w.s.List(w.ns.ctx(ctx), filters...)
}

func (w nsImageStore) Create(ctx context.Context, image images.Image) (images.Image, error) {
	return w.s.Create(w.ns.ctx(ctx), image)
}

func (w nsImageStore) Update(ctx context.Context, image images.Image, fieldpaths ...string) (images.Image, error) {
	return w.s.Update(w.ns.ctx(ctx), image, fieldpaths...)
}

func (w nsImageStore) Delete(ctx context.Context, name string, opts ...images.DeleteOpt) error {
	return w.s.Delete(w.ns.ctx(ctx), name, opts...)
}

type nsLeaseManager struct {
	ns nsCtx
	m  leases.Manager
}

func (w nsLeaseManager) Create(ctx context.Context, opts ...leases.Opt) (leases.Lease, error) {
	return w.m.Create(w.ns.ctx(ctx), opts...)
}

func (w nsLeaseManager) Delete(ctx context.Context, l leases.Lease, opts ...leases.DeleteOpt) error {
	return w.m.Delete(w.ns.ctx(ctx), l, opts...)
}

func (w nsLeaseManager) List(ctx context.Context, filters ...string) ([]leases.Lease, error) {
	return w.m.List(w.ns.ctx(ctx), filters...)
}

func (w nsLeaseManager) AddResource(ctx context.Context, l leases.Lease, r leases.Resource) error {
	return w.m.AddResource(w.ns.ctx(ctx), l, r)
}

func (w nsLeaseManager) DeleteResource(ctx context.Context, l leases.Lease, r leases.Resource) error {
	return w.m.DeleteResource(w.ns.ctx(ctx), l, r)
}

func (w nsLeaseManager) ListResources(ctx context.Context, l leases.Lease) ([]leases.Resource, error) {
	return w.m.ListResources(w.ns.ctx(ctx), l)
}

type nsContainerStore struct {
	ns nsCtx
	s  containers.Store
}

func (w nsContainerStore) Get(ctx context.Context, id string) (containers.Container, error) {
	return w.s.Get(w.ns.ctx(ctx), id)
}

func (w nsContainerStore) List(ctx context.Context, filters ...string) ([]containers.Container, error) {
	return w.s.List(w.ns.ctx(ctx), filters...)
}

func (w nsContainerStore) Create(ctx context.Context, c containers.Container) (containers.Container, error) {
	return w.s.Create(w.ns.ctx(ctx), c)
}

func (w nsContainerStore) Update(ctx context.Context, c containers.Container, fieldpaths ...string) (containers.Container, error) {
	return w.s.Update(w.ns.ctx(ctx), c, fieldpaths...)
}

func (w nsContainerStore) Delete(ctx context.Context, id string) error {
	return w.s.Delete(w.ns.ctx(ctx), id)
}

type nsSnapshotter struct {
	ns nsCtx
	s  snapshots.Snapshotter
}

func (w nsSnapshotter) Stat(ctx context.Context, key string) (snapshots.Info, error) {
	return w.s.Stat(w.ns.ctx(ctx), key)
}

func (w nsSnapshotter) Update(ctx context.Context, info snapshots.Info, fieldpaths ...string) (snapshots.Info, error) {
	return w.s.Update(w.ns.ctx(ctx), info, fieldpaths...)
}

func (w nsSnapshotter) Usage(ctx context.Context, key string) (snapshots.Usage, error) {
	return w.s.Usage(w.ns.ctx(ctx), key)
}

func (w nsSnapshotter) Mounts(ctx context.Context, key string) ([]mount.Mount, error) {
	return w.s.Mounts(w.ns.ctx(ctx), key)
}

func (w nsSnapshotter) Prepare(ctx context.Context, key, parent string, opts ...snapshots.Opt) ([]mount.Mount, error) {
	return w.s.Prepare(w.ns.ctx(ctx), key, parent, opts...)
}

func (w nsSnapshotter) View(ctx context.Context, key, parent string, opts ...snapshots.Opt) ([]mount.Mount, error) {
	return w.s.View(w.ns.ctx(ctx), key, parent, opts...)
}

func (w nsSnapshotter) Commit(ctx context.Context, name, key string, opts ...snapshots.Opt) error {
	return w.s.Commit(w.ns.ctx(ctx), name, key, opts...)
}

// Remove removes key. An unpack's extraction snapshot that is already gone
// counts as removed: containerd's unpacker aborts a failed layer twice (once
// where it fails, once in its bottom half), and the second attempt would log
// a "failed to cleanup extract-…: not found" error for every failed layer.
func (w nsSnapshotter) Remove(ctx context.Context, key string) error {
	err := w.s.Remove(w.ns.ctx(ctx), key)
	if errdefs.IsNotFound(err) && strings.HasPrefix(key, snapshots.UnpackKeyPrefix+"-") {
		return nil
	}
	return err
}

func (w nsSnapshotter) Walk(ctx context.Context, fn snapshots.WalkFunc, filters ...string) error {
	return w.s.Walk(w.ns.ctx(ctx), fn, filters...)
}

// Close is a no-op: Storage.Close closes the real snapshotters, and a caller
// closing the client's snapshotter must not tear down the shared one.
func (w nsSnapshotter) Close() error { return nil }

type nsDiffService struct {
	ns nsCtx
	d  client.DiffService
}

func (w nsDiffService) Compare(ctx context.Context, lower, upper []mount.Mount, opts ...diff.Opt) (ocispec.Descriptor, error) {
	return w.d.Compare(w.ns.ctx(ctx), lower, upper, opts...)
}

func (w nsDiffService) Apply(ctx context.Context, desc ocispec.Descriptor, mounts []mount.Mount, opts ...diff.ApplyOpt) (ocispec.Descriptor, error) {
	return w.d.Apply(w.ns.ctx(ctx), desc, mounts, opts...)
}
