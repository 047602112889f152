// Package backend holds the types the API routers and the daemon's services
// share: request options and the progress stream.
package backend

import (
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/api/types/registry"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/api/types/filters"
)

// ProgressWriter receives the JSON messages of a streamed operation (pull).
// The API side writes each as one JSON object followed by "\r\n" and flushes.
type ProgressWriter interface {
	WriteMessage(msg jsonstream.Message) error
}

// PullOptions is one POST /images/create.
type PullOptions struct {
	// Image is fromImage as the client sent it (e.g. "docker.io/library/alpine").
	Image string
	// Tag is a tag, a digest ("sha256:…"), or empty for all tags.
	Tag string
	// Platform is the requested platform; nil means the host's.
	Platform *ocispec.Platform
	// Auth is the decoded X-Registry-Auth, nil when absent.
	Auth *registry.AuthConfig
	// MetaHeaders are X-Meta-* headers forwarded to the registry.
	MetaHeaders map[string][]string
}

// ListOptions is GET /images/json.
type ListOptions struct {
	All        bool
	Filters    filters.Args
	SharedSize bool
	Manifests  bool
}

// InspectOptions is GET /images/{name}/json.
type InspectOptions struct {
	Manifests bool
	Platform  *ocispec.Platform
}

// DeleteOptions is DELETE /images/{name}.
type DeleteOptions struct {
	Force   bool
	NoPrune bool
}

// LoadOptions is POST /images/load.
type LoadOptions struct {
	// Quiet suppresses the "Loading layer" progress.
	Quiet bool
	// Platforms limits the load to these platforms; none means all.
	Platforms []ocispec.Platform
}
