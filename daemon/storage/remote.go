package storage

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/leases"
	"github.com/containerd/containerd/v2/plugins"
	"github.com/containerd/log"
)

// openRemote connects to a running containerd at opts.Address.
func openRemote(ctx context.Context, opts Options) (_ *Storage, retErr error) {
	logger := opts.Logger.WithField("mode", "remote")
	// containerd's dialer prepends unix:// itself.
	addr := strings.TrimPrefix(opts.Address, "unix://")
	if _, err := os.Stat(addr); err != nil {
		return nil, fmt.Errorf("storage: containerd socket %s: %w (is containerd running?)", addr, err)
	}

	c, err := client.New(addr,
		client.WithDefaultNamespace(opts.Namespace),
		client.WithTimeout(opts.DialTimeout))
	if err != nil {
		return nil, fmt.Errorf("storage: connect to containerd at %s: %w", addr, err)
	}
	defer func() {
		if retErr != nil {
			c.Close()
		}
	}()

	// client.New does not dial; the first call does. Bound it.
	vctx, cancel := context.WithTimeout(ctx, opts.DialTimeout)
	defer cancel()
	v, err := c.Version(vctx)
	if err != nil {
		return nil, fmt.Errorf("storage: containerd at %s is not reachable (waited up to %s): %w",
			addr, opts.DialTimeout, err)
	}

	effective, err := remoteSnapshotter(vctx, c, opts.Snapshotter, logger)
	if err != nil {
		return nil, fmt.Errorf("storage: containerd at %s: %w", addr, err)
	}
	if err := ensureNamespace(vctx, c, opts.Namespace); err != nil {
		return nil, err
	}

	logger.WithField("address", addr).WithField("version", v.Version).
		WithField("snapshotter", effective).WithField("namespace", opts.Namespace).
		Info("connected to containerd")
	return &Storage{
		client:      c,
		namespace:   opts.Namespace,
		snapshotter: effective,
		address:     addr,
		log:         logger,
	}, nil
}

// remoteSnapshotter checks through introspection that the requested
// snapshotter is loaded, falling back from overlayfs to native.
func remoteSnapshotter(ctx context.Context, c *client.Client, requested string, logger *log.Entry) (string, error) {
	loaded := func(name string) (bool, string, error) {
		resp, err := c.IntrospectionService().Plugins(ctx,
			fmt.Sprintf("type==%s, id==%s", plugins.SnapshotPlugin, name))
		if err != nil {
			return false, "", fmt.Errorf("list snapshotter plugins: %w", err)
		}
		for _, p := range resp.Plugins {
			if p.InitErr != nil {
				return false, p.InitErr.Message, nil
			}
			return true, "", nil
		}
		return false, "not loaded", nil
	}

	ok, why, err := loaded(requested)
	if err != nil || ok {
		return requested, err
	}
	if requested != SnapshotterOverlay {
		return "", fmt.Errorf("snapshotter %q is not available: %s", requested, why)
	}
	logger.Warnf("WARNING: containerd's %s snapshotter is not available (%s); falling back to the %s snapshotter",
		SnapshotterOverlay, why, SnapshotterNative)
	ok, nwhy, err := loaded(SnapshotterNative)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("neither %s (%s) nor %s (%s) snapshotter is available",
			SnapshotterOverlay, why, SnapshotterNative, nwhy)
	}
	return SnapshotterNative, nil
}

// remoteCollect makes containerd run a GC and wait for it: its leases
// service honours SynchronousDelete by scheduling a collection and waiting.
func remoteCollect(ctx context.Context, c *client.Client, ns string) error {
	ls := c.LeasesService()
	l, err := ls.Create(ctx, leases.WithRandomID(), leases.WithExpiration(time.Minute),
		leases.WithLabel("berth.dev/purpose", "gc-trigger"))
	if err != nil {
		return fmt.Errorf("garbage collection (namespace %s): create lease: %w", ns, err)
	}
	if err := ls.Delete(ctx, l, leases.SynchronousDelete); err != nil {
		return fmt.Errorf("garbage collection (namespace %s): %w", ns, err)
	}
	return nil
}
