package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/containerd/errdefs"
)

// Action is one running image action.
type Action struct {
	m      *Metrics
	name   string
	start  time.Time
	finish bool
}

// StartAction records the start of an image action ("pull", "push", …):
// it is in flight until Done. Use it at the action's entry point:
//
//	func (s *ImageService) PushImage(…) (retErr error) {
//		defer s.metrics.StartAction("push").Done(&retErr)
func (m *Metrics) StartAction(name string) *Action {
	if m == nil {
		return nil
	}
	m.inFlight.WithLabelValues(name).Inc()
	return &Action{m: m, name: name, start: time.Now()}
}

// Done ends the action with the error *errp points to (nil: success): it
// records the duration in engine_daemon_image_actions_seconds (successes
// only, as dockerd) or counts the error by class.
func (a *Action) Done(errp *error) {
	if a == nil || a.finish {
		return
	}
	a.finish = true
	a.m.inFlight.WithLabelValues(a.name).Dec()
	var err error
	if errp != nil {
		err = *errp
	}
	if err == nil {
		a.m.imageActions.WithLabelValues(a.name).Observe(time.Since(a.start).Seconds())
		return
	}
	a.m.errors.WithLabelValues(a.name, ErrorClass(err)).Inc()
}

// GCRun records one garbage collection of the content store.
func (m *Metrics) GCRun(d time.Duration, err error) {
	if m == nil {
		return
	}
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.gcRuns.WithLabelValues(result).Inc()
	m.gcSeconds.Observe(d.Seconds())
}

// ErrorClass names err's errdefs class, for metric labels.
func ErrorClass(err error) string {
	switch {
	case errors.Is(err, context.Canceled), errdefs.IsCanceled(err):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded), errdefs.IsDeadlineExceeded(err):
		return "deadline_exceeded"
	case errdefs.IsInvalidArgument(err):
		return "invalid_argument"
	case errdefs.IsNotFound(err):
		return "not_found"
	case errdefs.IsUnauthorized(err):
		return "unauthorized"
	case errdefs.IsPermissionDenied(err):
		return "permission_denied"
	case errdefs.IsConflict(err), errdefs.IsAlreadyExists(err):
		return "conflict"
	case errdefs.IsNotImplemented(err):
		return "not_implemented"
	case errdefs.IsUnavailable(err):
		return "unavailable"
	case errdefs.IsResourceExhausted(err):
		return "resource_exhausted"
	case errdefs.IsFailedPrecondition(err):
		return "failed_precondition"
	default:
		return "unknown"
	}
}
