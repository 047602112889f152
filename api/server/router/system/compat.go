package system

import (
	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/client/pkg/versions"

	"github.com/berth-dev/berth/api/server/httputils"
)

// infoResponse shapes GET /info for the negotiated API version, as
// dockerd's system router does: fields newer than the version are dropped,
// fields removed since are added back with the values dockerd sent.
func infoResponse(version string, info *system.Info) any {
	extra := map[string]any{}
	if versions.LessThan(version, "1.44") {
		for k, rt := range info.Runtimes {
			info.Runtimes[k] = system.RuntimeWithStatus{Runtime: rt.Runtime}
		}
	}
	if versions.LessThan(version, "1.46") {
		info.Containerd = nil
	}
	if versions.LessThan(version, "1.47") {
		extra["RegistryConfig"] = map[string]any{
			"AllowNondistributableArtifactsCIDRs":     nil,
			"AllowNondistributableArtifactsHostnames": nil,
		}
	}
	if versions.LessThan(version, "1.49") {
		info.FirewallBackend = nil
		extra["ContainerdCommit"] = map[string]any{"Expected": info.ContainerdCommit.ID}
		extra["RuncCommit"] = map[string]any{"Expected": info.RuncCommit.ID}
		extra["InitCommit"] = map[string]any{"Expected": info.InitCommit.ID}
	}
	if versions.LessThan(version, "1.50") {
		info.DiscoveredDevices = nil
		extra["BridgeNfIptables"] = false
		extra["BridgeNfIp6tables"] = false
	}
	if versions.LessThan(version, "1.53") {
		info.NRI = nil
	}
	if len(extra) == 0 {
		return info
	}
	return httputils.Legacy{Base: info, Extra: extra}
}
