package images

import (
	"context"
	"fmt"
	"strings"

	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/containerd/v2/pkg/snapshotters"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/distribution"
	"github.com/berth-dev/berth/distribution/octetconfig"
	"github.com/berth-dev/berth/image"
	"github.com/berth-dev/berth/layer"
)

// schema2Pull is the format of OCI and Docker schema 2 images, manifests or
// indexes, docker 1.10's application/octet-stream config included: the
// platform manifest is chosen once, and containerd's handlers fetch exactly
// that path with the layers unpacked as they arrive.
type schema2Pull struct {
	s        *ImageService
	ref      reference.Named
	platform ocispec.Platform
	resolver remotes.Resolver
	name     string             // as the resolver resolved it
	root     ocispec.Descriptor // what ref names: an index or a manifest

	// Set by selectManifest.
	source   *pullSource
	sel      image.Selection
	manifest ocispec.Manifest
	config   dockerspec.DockerOCIImage
}

// selectManifest reads the index tree (fetching into the store what is
// missing) and the chosen manifest and config.
func (p *schema2Pull) selectManifest(ctx context.Context) error {
	fetcher, err := p.resolver.Fetcher(ctx, p.name)
	if err != nil {
		return err
	}
	if p.source, err = newPullSource(p.s.content, p.ref.String()); err != nil {
		return err
	}
	provider := distribution.FetchThrough{Store: p.source.store(p.s.content), Fetcher: fetcher}
	sel, err := image.SelectManifest(ctx, provider, p.root, platforms.Only(p.platform))
	if err != nil {
		if errdefs.IsNotFound(err) && strings.Contains(err.Error(), "platform") {
			return distribution.PlatformNotFound(p.platform, err)
		}
		return err
	}
	if p.manifest, err = image.ReadManifest(ctx, provider, sel.Manifest); err != nil {
		return err
	}
	// Refused before the config or any layer is fetched.
	if err := image.CheckManifest(sel.Manifest, p.manifest); err != nil {
		return err
	}
	if layer.IsMediaType(p.manifest.Config.MediaType) {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(
			"invalid image manifest %s: its config has the layer media type %s", sel.Manifest.Digest, p.manifest.Config.MediaType))
	}
	if p.config, err = image.ReadConfig(ctx, provider, p.manifest.Config); err != nil {
		return err
	}
	p.sel = sel
	return nil
}

// trackedLayers are the selected manifest's layers and their chain IDs, as
// the pull's progress tracks them.
func (p *schema2Pull) trackedLayers() ([]ocispec.Descriptor, []digest.Digest) {
	return p.manifest.Layers, layer.ChainIDs(p.config.RootFS.DiffIDs)
}

// fetch dispatches containerd's fetch handlers from the root along the
// selected path, unpacking each layer as it arrives.
func (p *schema2Pull) fetch(ctx context.Context, progress *pullProgress) (pullResult, error) {
	s := p.s
	fetcher, err := p.resolver.Fetcher(ctx, p.name)
	if err != nil {
		return pullResult{}, fmt.Errorf("failed to get fetcher for %q: %w", p.name, err)
	}
	// Layer downloads share the daemon-wide cap (the index, manifest and
	// config above were read without it), each until its bytes are in.
	fetcher = distribution.LimitFetches(fetcher, s.downloads)
	layers, chainIDs := p.trackedLayers()
	allPresent, err := s.leaseLayers(ctx, layers, chainIDs)
	if err != nil {
		return pullResult{}, err
	}
	progress.track(ctx, layers, chainIDs)
	// Labels a re-pull finds in place are not written again (pull_labels.go).
	store := sameLabelsStore{Store: s.content}
	handler := c8dimages.Handlers(
		p.source.fetchHandler(s.content, progress.observeRetries(fetcher), s.heldPresent),
		c8dimages.SetChildrenMappedLabels(store, c8dimages.ChildrenHandler(s.content), nil),
		p.source.labelHandler(s.content),
	)
	wrappers := []func(c8dimages.Handler) c8dimages.Handler{
		steerToSelection(p.sel),
		snapshotters.AppendInfoHandlerWrapper(p.ref.String()),
	}
	if p.manifest.Config.MediaType == docker.LegacyConfigMediaType {
		// docker 1.10's variant: its config must read as a Docker config
		// for the layers to be unpacked and the manifest kept as served.
		wrappers = append(wrappers, octetconfig.ConfigTypeWrapper)
	}
	if allPresent && s.chainUnpacked(ctx, chainIDs) {
		// Every blob and the whole snapshot chain are here (and leased):
		// nothing to fetch or unpack. containerd's unpacker would still
		// write for each layer (a snapshot lease in a failed Prepare).
		if err := c8dimages.Dispatch(ctx, composeWrappers(append(wrappers, distribution.NoForeignURLs)...)(handler), nil, p.root); err != nil {
			return pullResult{}, err
		}
		if err := labelUnpacked(ctx, store, s.snapshotter, p.manifest.Config.Digest, chainIDs); err != nil {
			return pullResult{}, err
		}
		return p.result(true), nil
	}
	unpacker, err := s.newUnpacker(ctx, store, progress, !allPresent)
	if err != nil {
		return pullResult{}, err
	}
	streams, dctx := s.streamLayers(ctx)
	present := func(ctx context.Context, d ocispec.Descriptor) bool {
		ok, _ := blobPresent(ctx, s.content, d.Digest)
		return ok
	}
	wrap := composeWrappers(append(wrappers, distribution.NoForeignURLs, streams.wrapper(dctx, present))...)
	err = c8dimages.Dispatch(ctx, unpacker.Unpack(wrap(handler)), nil, p.root)
	unpacked, werr := unpacker.Wait() // always wait: it owns goroutines
	serr := streams.wait(err != nil || werr != nil)
	if err != nil {
		return pullResult{}, err
	}
	if werr != nil {
		return pullResult{}, werr
	}
	if serr != nil {
		return pullResult{}, serr
	}
	return p.result(unpacked.Unpacks > 0), nil
}

// result is what the fetch leaves.
func (p *schema2Pull) result(unpacked bool) pullResult {
	return pullResult{
		target:         p.root,
		registryDigest: p.root.Digest,
		configLabels:   p.config.Config.Labels,
		unpacked:       unpacked,
	}
}

// steerToSelection makes the dispatch follow the selected path through
// (nested) indexes to the platform manifest: the selection made once by
// selectManifest, instead of a second one by platform filters.
func steerToSelection(sel image.Selection) func(c8dimages.Handler) c8dimages.Handler {
	return func(h c8dimages.Handler) c8dimages.Handler {
		return c8dimages.HandlerFunc(func(ctx context.Context, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
			children, err := h.Handle(ctx, desc)
			if err != nil || !c8dimages.IsIndexType(desc.MediaType) {
				return children, err
			}
			if next, ok := sel.Path[desc.Digest.String()]; ok {
				return []ocispec.Descriptor{next}, nil
			}
			return nil, nil
		})
	}
}

// composeWrappers applies wrappers so the first is outermost.
func composeWrappers(ws ...func(c8dimages.Handler) c8dimages.Handler) func(c8dimages.Handler) c8dimages.Handler {
	return func(h c8dimages.Handler) c8dimages.Handler {
		for i := len(ws) - 1; i >= 0; i-- {
			h = ws[i](h)
		}
		return h
	}
}
