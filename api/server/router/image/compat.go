package image

import (
	"time"

	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client/pkg/versions"

	"github.com/berth-dev/berth/api/server/httputils"
)

// The image responses take the shape of the negotiated API version, as
// dockerd's image router adapts them; each cut-off is the version whose
// changelog entry changed the field.

// legacyConfigFields are the image Config fields older API versions always
// carried, empty when the image config has none.
func legacyConfigFields(version string) map[string]any {
	fields := map[string]any{
		"Cmd": nil, "Entrypoint": nil, "Env": nil, "Labels": nil, "OnBuild": nil,
		"User": "", "Volumes": nil, "WorkingDir": "",
	}
	if versions.LessThan(version, "1.50") {
		// Container-config fields that leaked into image configs; omitted
		// since API 1.50.
		for k, v := range map[string]any{
			"AttachStderr": false, "AttachStdin": false, "AttachStdout": false,
			"Domainname": "", "Hostname": "", "Image": "", "OpenStdin": false,
			"StdinOnce": false, "Tty": false,
		} {
			fields[k] = v
		}
	}
	return fields
}

// listResponse shapes GET /images/json.
func listResponse(version string, list []image.Summary) any {
	for i := range list {
		img := &list[i]
		if versions.LessThan(version, "1.43") && len(img.RepoTags) == 0 && len(img.RepoDigests) == 0 {
			img.RepoTags, img.RepoDigests = []string{"<none>:<none>"}, []string{"<none>@<none>"}
		}
		if img.RepoTags == nil {
			img.RepoTags = []string{}
		}
		if img.RepoDigests == nil {
			img.RepoDigests = []string{}
		}
		if versions.LessThan(version, "1.48") {
			img.Descriptor = nil
		}
		if versions.LessThan(version, "1.51") {
			img.Containers = -1
		}
	}
	if !versions.LessThan(version, "1.44") {
		return list
	}
	out := make([]httputils.Legacy, len(list))
	for i := range list {
		out[i] = httputils.Legacy{Base: &list[i], Extra: map[string]any{"VirtualSize": list[i].Size}}
	}
	return out
}

// inspectResponse shapes GET /images/{name}/json.
func inspectResponse(version string, resp *image.InspectResponse) any {
	if resp.RepoTags == nil {
		resp.RepoTags = []string{}
	}
	if resp.RepoDigests == nil {
		resp.RepoDigests = []string{}
	}
	if versions.LessThan(version, "1.53") {
		resp.Identity = nil
	}
	if versions.LessThan(version, "1.48") {
		resp.Descriptor = nil
	}
	if !versions.LessThan(version, "1.52") {
		return resp
	}
	extra := map[string]any{
		// Parent and DockerVersion were the classic builder's; berthd's
		// images never have them, so they are empty, as dockerd's
		// BuildKit-built images.
		"Parent":        "",
		"Comment":       resp.Comment,
		"DockerVersion": "",
		"Author":        resp.Author,
		"Config":        legacyConfigFields(version),
	}
	if versions.LessThan(version, "1.45") {
		extra["Container"] = ""
		extra["ContainerConfig"] = legacyConfigFields("1.49")
	}
	if versions.LessThan(version, "1.44") {
		extra["VirtualSize"] = resp.Size
		if resp.Created == "" {
			resp.Created = time.Time{}.Format(time.RFC3339Nano)
		}
	}
	return httputils.Legacy{Base: resp, Extra: extra}
}
