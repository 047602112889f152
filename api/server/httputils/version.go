package httputils

import "context"

type apiVersionKey struct{}

// WithVersion stores the request's negotiated API version in ctx.
func WithVersion(ctx context.Context, v string) context.Context {
	return context.WithValue(ctx, apiVersionKey{}, v)
}

// VersionFromContext returns the API version the request speaks, or ""
// when none was negotiated (callers then use the newest shape).
func VersionFromContext(ctx context.Context) string {
	v, _ := ctx.Value(apiVersionKey{}).(string)
	return v
}
