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
	// Identity adds each image manifest's Identity (requires Manifests).
	Identity bool
}

// InspectOptions is GET /images/{name}/json.
type InspectOptions struct {
	Manifests bool
	Platform  *ocispec.Platform
	// Identity adds the image's Identity (API 1.53).
	Identity bool
}

// DeleteOptions is DELETE /images/{name}.
type DeleteOptions struct {
	Force   bool
	NoPrune bool
	// Platforms, when set, removes only the content of these platforms'
	// manifests; the image and its names stay.
	Platforms []ocispec.Platform
}

// PushOptions is one POST /images/{name}/push.
type PushOptions struct {
	// Image is the repository as the client sent it (e.g. "docker.io/library/alpine").
	Image string
	// Tag is the tag to push; empty pushes every local tag of the repository.
	Tag string
	// Platform selects one manifest of a multi-platform image (API >= 1.46).
	Platform *ocispec.Platform
	// Auth is the decoded X-Registry-Auth, nil when absent.
	Auth *registry.AuthConfig
	// MetaHeaders are X-Meta-* headers forwarded to the registry.
	MetaHeaders map[string][]string
}

// LoadOptions is POST /images/load.
type LoadOptions struct {
	// Quiet suppresses the "Loading layer" progress.
	Quiet bool
	// Platforms limits the load to these platforms; none means all.
	Platforms []ocispec.Platform
}
