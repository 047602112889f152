package system

import (
	"context"
	"time"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/system"

	"github.com/berth-dev/berth/api/types/backend"
	"github.com/berth-dev/berth/api/types/filters"
)

// Backend answers the system endpoints.
type Backend interface {
	SystemVersion(ctx context.Context) system.VersionResponse
	SystemInfo(ctx context.Context) (*system.Info, error)
	SystemDiskUsage(ctx context.Context, opts backend.DiskUsageOptions) (*backend.DiskUsage, error)
}

// EventsBackend is the daemon's event log.
type EventsBackend interface {
	// Subscribe returns the past events in [since, until] matching f, a
	// channel of new matching events, and a function that ends the
	// subscription.
	Subscribe(since, until time.Time, f filters.Args) (past []events.Message, live <-chan events.Message, cancel func())
}
