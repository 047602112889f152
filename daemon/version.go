package daemon

// Build information, set at build time by the Makefile:
//
//	go build -ldflags "-X github.com/berth-dev/berth/daemon.Version=…
//	  -X github.com/berth-dev/berth/daemon.GitCommit=…
//	  -X github.com/berth-dev/berth/daemon.BuildTime=…"
var (
	// Version is berthd's version.
	Version = "0.1.0-dev"
	// GitCommit is the commit berthd was built from.
	GitCommit = "unknown"
	// BuildTime is when berthd was built (RFC 3339).
	BuildTime = "unknown"
	// Experimental is "true" for builds with experimental features; berthd
	// has none, so the answer is dockerd's default.
	Experimental = "false"
)
