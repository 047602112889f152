package backend

import (
	"io"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ImportOptions is POST /images/create with fromSrc.
type ImportOptions struct {
	// Source is fromSrc: "-" for the request body, else a URL.
	Source string
	// Body is the request body (the archive when Source is "-").
	Body io.Reader
	// Repo and Tag name the image; an empty Repo leaves it untagged.
	Repo, Tag string
	// Message is the history comment; empty means "Imported from <Source>".
	Message string
	// Changes are Dockerfile instructions applied to the config.
	Changes []string
	// Platform is the image's platform; nil means the host's.
	Platform *ocispec.Platform
}
