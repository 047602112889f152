package storage

import "context"

// The embedded applier's work on a layer is CPU (decompressing, hashing,
// untarring) and then one syncfs (see the durability rule in the package
// doc), which waits on the disk. A caller that bounds the CPU work, as the
// image service's unpack slots do, can be told when the CPU part is done:
// the sync still happens before Apply returns, and so before the snapshot
// is committed.

type beforeSyncKey struct{}

// WithBeforeSync returns a context with which the embedded applier calls f
// once a layer is untarred, before it syncs the filesystem (at most once
// per Apply; not at all when the apply fails earlier, or for layers applied
// by containerd's applier or a remote containerd).
func WithBeforeSync(ctx context.Context, f func()) context.Context {
	return context.WithValue(ctx, beforeSyncKey{}, f)
}

// BeforeSync calls the function of WithBeforeSync, if ctx has one: the
// embedded applier does, and so may an applier standing in for it.
func BeforeSync(ctx context.Context) {
	if f, ok := ctx.Value(beforeSyncKey{}).(func()); ok {
		f()
	}
}
