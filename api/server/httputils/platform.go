package httputils

import (
	"strings"

	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// DecodePlatform reads a "platform" query parameter: at most one
// os[/arch[/variant]] value; nil when absent.
func DecodePlatform(values []string) (*ocispec.Platform, error) {
	var nonEmpty []string
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			nonEmpty = append(nonEmpty, v)
		}
	}
	if len(nonEmpty) == 0 {
		return nil, nil
	}
	if len(nonEmpty) > 1 || strings.Contains(nonEmpty[0], ",") {
		return nil, errdefs.ErrInvalidArgument.WithMessage("multiple platforms is not supported")
	}
	p, err := platforms.Parse(nonEmpty[0])
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	p = platforms.Normalize(p)
	return &p, nil
}
