package unsupported

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/volume"
	"github.com/moby/moby/client/pkg/versions"

	"github.com/berth-dev/berth/api/server"
	"github.com/berth-dev/berth/api/server/httputils"
	"github.com/berth-dev/berth/api/server/router"
	"github.com/berth-dev/berth/api/types/filters"
)

// EventLogger records daemon events (the events service).
type EventLogger interface {
	Log(t events.Type, action events.Action, actor events.Actor)
}

// pruneRoutes answer the prunes of the areas berthd holds nothing in:
// containers, networks, volumes and the build cache. There is nothing to
// remove, so each checks its filters as dockerd does, answers dockerd's
// empty report (lists empty, not null, as the API's spec has them) and logs
// dockerd's prune event with nothing reclaimed; `docker system prune` thus
// prunes images as it does against dockerd instead of stopping at its
// first step.
func (u unsupportedRouter) pruneRoutes() []router.Route {
	return []router.Route{
		router.NewRoute("POST", "/containers/prune", u.prune(events.ContainerEventType, checkTimedFilters,
			func() any { return container.PruneReport{ContainersDeleted: []string{}} })),
		router.NewRoute("POST", "/networks/prune", u.prune(events.NetworkEventType, checkTimedFilters,
			func() any { return network.PruneReport{NetworksDeleted: []string{}} })),
		router.NewRoute("POST", "/volumes/prune", u.prune(events.VolumeEventType, checkVolumeFilters,
			func() any { return volume.PruneReport{VolumesDeleted: []string{}} })),
		router.NewRoute("POST", "/build/prune", u.prune(events.BuilderEventType, checkBuildCacheFilters,
			func() any { return build.CachePruneReport{CachesDeleted: []string{}} })),
	}
}

// prune answers report() once check accepts the request's filters.
func (u unsupportedRouter) prune(t events.Type, check func(context.Context, *http.Request, filters.Args) error, report func() any) router.HandlerFunc {
	return func(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
		f, err := filters.Parse(r.Form.Get("filters"))
		if err != nil {
			return err
		}
		if err := check(ctx, r, f); err != nil {
			return err
		}
		if u.events != nil {
			u.events.Log(t, events.ActionPrune, events.Actor{Attributes: map[string]string{"reclaimed": "0"}})
		}
		return httputils.WriteJSON(w, http.StatusOK, report())
	}
}

// checkTimedFilters accepts what dockerd's container and network prunes
// do: label, label! and one until.
func checkTimedFilters(_ context.Context, _ *http.Request, f filters.Args) error {
	if err := f.Validate("label", "label!", "until"); err != nil {
		return err
	}
	if len(f.Values("until")) > 1 {
		return errdefs.ErrInvalidArgument.WithMessage("more than one until filter specified")
	}
	if _, err := f.Until(time.Now()); err != nil {
		return err
	}
	return f.ValidateLabels("label", "label!")
}

// checkVolumeFilters accepts what dockerd's volume prune does: label,
// label! and, from API 1.42, all (a boolean).
func checkVolumeFilters(ctx context.Context, _ *http.Request, f filters.Args) error {
	accepted := []string{"label", "label!"}
	if versions.GreaterThanOrEqualTo(server.APIVersion(ctx), "1.42") {
		accepted = append(accepted, "all")
	}
	if err := f.Validate(accepted...); err != nil {
		return err
	}
	if _, _, err := f.Bool("all"); err != nil {
		return err
	}
	return f.ValidateLabels("label", "label!")
}

// buildCacheFilters are the filters BuildKit's prune knows.
var buildCacheFilters = []string{"until", "unused-for", "id", "parent", "type", "description", "inuse", "shared", "private"}

// checkBuildCacheFilters accepts what dockerd's build cache prune does:
// BuildKit's filters, each with at most one value, until (and its old
// name unused-for) a duration, and the space limits as byte counts.
func checkBuildCacheFilters(ctx context.Context, r *http.Request, f filters.Args) error {
	if err := f.Validate(buildCacheFilters...); err != nil {
		return err
	}
	for _, key := range buildCacheFilters {
		vals := f.Values(key)
		if len(vals) > 1 {
			return errdefs.ErrInvalidArgument.WithMessage("filters expect only one value")
		}
		if (key == "until" || key == "unused-for") && len(vals) == 1 {
			if _, err := time.ParseDuration(vals[0]); err != nil {
				return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%q filter expects a duration (e.g., '24h')", key))
			}
		}
	}
	spaces := []string{"keep-storage"}
	if versions.GreaterThanOrEqualTo(server.APIVersion(ctx), "1.48") {
		spaces = []string{"reserved-space", "max-used-space", "min-free-space"}
	}
	for _, name := range spaces {
		if v := r.Form.Get(name); v != "" {
			if _, err := strconv.ParseInt(v, 10, 64); err != nil {
				return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%s is in bytes and expects an integer, got %v", name, v))
			}
		}
	}
	return nil
}
