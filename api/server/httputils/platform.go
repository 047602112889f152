package httputils

import (
	"encoding/json"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// DecodePlatform reads a "platform" query parameter: at most one value,
// either os[/arch[/variant]] (pull, container create) or an OCI platform as
// JSON (image inspect and history since API 1.48); nil when absent.
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
	if len(nonEmpty) == 1 && strings.HasPrefix(nonEmpty[0], "{") {
		return decodePlatformJSON(nonEmpty[0])
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

// decodePlatformJSON decodes an OCI platform object, as dockerd does.
func decodePlatformJSON(s string) (*ocispec.Platform, error) {
	var p ocispec.Platform
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage("failed to parse platform: " + err.Error())
	}
	hasOptional := p.Variant != "" || p.OSVersion != "" || len(p.OSFeatures) > 0
	if p.OS == "" && p.Architecture == "" && hasOptional {
		return nil, errdefs.ErrInvalidArgument.WithMessage("optional platform fields provided, but OS and Architecture are missing")
	}
	if p.OS == "" || p.Architecture == "" {
		return nil, errdefs.ErrInvalidArgument.WithMessage("both OS and Architecture must be provided")
	}
	p = platforms.Normalize(p)
	return &p, nil
}

// DecodePlatforms reads a repeatable platform parameter ("platform" of save
// and load since API 1.48, "platforms" of DELETE /images/{name} since 1.50):
// each value an OCI platform as JSON, or os[/arch[/variant]]; nil when absent.
func DecodePlatforms(values []string) ([]ocispec.Platform, error) {
	var out []ocispec.Platform
	for _, v := range values {
		p, err := DecodePlatform([]string{v})
		if err != nil {
			return nil, err
		}
		if p != nil {
			out = append(out, *p)
		}
	}
	return out, nil
}
