package storage

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	api "github.com/containerd/containerd/api/services/introspection/v1"
	apitypes "github.com/containerd/containerd/api/types"
	"github.com/containerd/containerd/v2/core/introspection"
	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/containerd/containerd/v2/pkg/filters"
	"github.com/containerd/containerd/v2/plugins"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	"github.com/google/uuid"
	"github.com/moby/sys/userns"
)

// snapshotterCapabilities returns what containerd's own snapshotter plugins
// advertise for name. For overlayfs that is "rebase", which client.Pull's
// unpacker needs to unpack layers in parallel. Like containerd, rebase is not
// advertised inside a user namespace (it relies on mknod c 0 0 whiteouts).
func snapshotterCapabilities(name string) []string {
	if name == SnapshotterOverlay && !userns.RunningInUserNS() {
		return []string{snapshots.RebaseCap}
	}
	return nil
}

// introspectionService answers the introspection queries containerd's client
// makes of the embedded stack: the snapshotter plugins (capabilities,
// platforms, root) and a server UUID persisted under the storage root.
type introspectionService struct {
	plugins  []*api.Plugin
	uuidPath string

	mu sync.Mutex
}

var _ introspection.Service = (*introspectionService)(nil)

// newIntrospectionService describes the snapshotters in roots (name → root dir).
func newIntrospectionService(root string, roots map[string]string) *introspectionService {
	p := platforms.DefaultSpec()
	platform := &apitypes.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}
	s := &introspectionService{uuidPath: filepath.Join(root, "uuid")}
	for name, dir := range roots {
		s.plugins = append(s.plugins, &api.Plugin{
			Type:         plugins.SnapshotPlugin.String(),
			ID:           name,
			Platforms:    []*apitypes.Platform{platform},
			Capabilities: snapshotterCapabilities(name),
			Exports:      map[string]string{plugins.SnapshotterRootDir: dir},
		})
	}
	sort.Slice(s.plugins, func(i, j int) bool { return s.plugins[i].ID < s.plugins[j].ID })
	return s
}

func pluginAdaptor(p *api.Plugin) filters.Adaptor {
	return filters.AdapterFunc(func(fieldpath []string) (string, bool) {
		if len(fieldpath) == 0 {
			return "", false
		}
		switch fieldpath[0] {
		case "type":
			return p.Type, p.Type != ""
		case "id":
			return p.ID, p.ID != ""
		}
		return "", false
	})
}

// Plugins lists the plugins matching any of the containerd filter strings
// (e.g. "type==io.containerd.snapshotter.v1, id==overlayfs").
func (s *introspectionService) Plugins(ctx context.Context, fs ...string) (*api.PluginsResponse, error) {
	filter, err := filters.ParseAll(fs...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errdefs.ErrInvalidArgument, err)
	}
	resp := &api.PluginsResponse{}
	for _, p := range s.plugins {
		if filter.Match(pluginAdaptor(p)) {
			resp.Plugins = append(resp.Plugins, p)
		}
	}
	return resp, nil
}

// PluginInfo returns a plugin's description. Extra per-plugin information
// (options != nil) is not available from the embedded stack.
func (s *introspectionService) PluginInfo(ctx context.Context, pluginType, id string, options any) (*api.PluginInfoResponse, error) {
	for _, p := range s.plugins {
		if p.Type == pluginType && p.ID == id {
			resp := &api.PluginInfoResponse{Plugin: p}
			if options != nil {
				return resp, fmt.Errorf("plugin %s.%s does not provide extra information: %w",
					pluginType, id, errdefs.ErrNotImplemented)
			}
			return resp, nil
		}
	}
	return nil, fmt.Errorf("plugin %s.%s not found: %w", pluginType, id, errdefs.ErrNotFound)
}

// Server returns the stack's UUID (created on first use) and our pid.
func (s *introspectionService) Server(ctx context.Context) (*api.ServerResponse, error) {
	id, err := s.uuid()
	if err != nil {
		return nil, err
	}
	return &api.ServerResponse{UUID: id, Pid: uint64(os.Getpid())}, nil
}

func (s *introspectionService) uuid() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	data, err := os.ReadFile(s.uuidPath)
	if err == nil {
		id := strings.TrimSpace(string(data))
		if _, perr := uuid.Parse(id); perr == nil {
			return id, nil
		}
	} else if !os.IsNotExist(err) {
		return "", err
	}
	id := uuid.NewString()
	if err := os.WriteFile(s.uuidPath, []byte(id), 0o644); err != nil {
		return "", fmt.Errorf("write server uuid: %w", err)
	}
	return id, nil
}
