package images

import (
	"context"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/image"
	"github.com/berth-dev/berth/layer"
)

// platformManifest is one manifest reachable from an image's target: the
// target itself when it is a manifest, else every manifest its index (and
// nested indexes) lists, present locally or not.
type platformManifest struct {
	// Desc is the manifest's descriptor as its index lists it.
	Desc ocispec.Descriptor
	Kind imagetypes.ManifestKind
	// Platform is known for image manifests: from the index, else the config.
	Platform ocispec.Platform
	// AttestationFor is the manifest an attestation describes.
	AttestationFor digest.Digest
	// Config is what list and filters need of the image config (nil when
	// the manifest or config is not present); the whole config is read
	// only by what answers with it (see fullConfig).
	Config *configSummary
	// ConfigDesc is the config's descriptor (zero without manifest).
	ConfigDesc ocispec.Descriptor
	// Available is true when the manifest, its config and every layer are
	// present.
	Available bool
	// Blobs are the present blobs of this manifest: itself, config, layers.
	Blobs []ocispec.Descriptor
	// ChainIDs are the snapshot keys of its layers (image kind with config).
	ChainIDs []digest.Digest
	// Unpacked is the disk usage of its present snapshots (set by viewImage).
	Unpacked int64
}

// configSummary is the part of an image config a listing keeps per image:
// the rest (history, environment, commands…) is decoded and dropped.
type configSummary struct {
	Created *time.Time `json:"created,omitempty"`
	ocispec.Platform
	Config struct {
		Labels map[string]string `json:"Labels,omitempty"`
	} `json:"config"`
	RootFS struct {
		DiffIDs []digest.Digest `json:"diff_ids"`
	} `json:"rootfs"`
}

// fullConfig reads the whole config of pm, for the endpoints that answer
// with it (inspect, history); one at a time, never kept in a listing.
func (s *ImageService) fullConfig(ctx context.Context, pm *platformManifest) (*dockerspec.DockerOCIImage, error) {
	if pm == nil || pm.Config == nil {
		return nil, nil
	}
	cfg, err := image.ReadConfig(ctx, s.content, pm.ConfigDesc)
	if err != nil {
		return nil, err
	}
	return &cfg, nil
}

// contentSize is the size of the manifest's present blobs.
func (pm *platformManifest) contentSize() int64 {
	var n int64
	for _, b := range pm.Blobs {
		n += b.Size
	}
	return n
}

// runnable reports whether pm is an image manifest with its config.
func (pm *platformManifest) runnable() bool {
	return pm.Kind == imagetypes.ManifestKindImage && pm.Config != nil
}

// platformManifests lists the manifests reachable from target (nothing when
// its index is not present).
func (s *ImageService) platformManifests(ctx context.Context, target ocispec.Descriptor) ([]*platformManifest, error) {
	gen, cacheable := s.removalGen()
	var out []*platformManifest
	seen := map[digest.Digest]bool{}
	err := image.WalkManifests(ctx, s.content, target, nil, func(desc ocispec.Descriptor, _ []ocispec.Descriptor) error {
		if seen[desc.Digest] {
			return nil
		}
		seen[desc.Digest] = true
		pm, err := s.inspectManifest(ctx, desc, gen, cacheable)
		if err != nil {
			return err
		}
		out = append(out, pm)
		return nil
	})
	if err != nil && !errdefs.IsNotFound(err) {
		return nil, err
	}
	return out, nil
}

// inspectManifest classifies one manifest and checks which of its blobs are
// present. What the manifest and its config say is read once and cached;
// presence is checked again unless everything was present at removal
// generation gen (and cacheable says presence may be cached).
func (s *ImageService) inspectManifest(ctx context.Context, desc ocispec.Descriptor, gen uint64, cacheable bool) (*platformManifest, error) {
	pm := &platformManifest{Desc: desc, Kind: imagetypes.ManifestKindUnknown}
	forDigest, isAttestation := image.AttestationFor(desc)
	if desc.Platform != nil {
		pm.Platform = platforms.Normalize(*desc.Platform)
	}

	f, configPresent, layerPresent, err := s.manifestFacts(ctx, desc, gen, cacheable)
	if err != nil {
		if !errdefs.IsNotFound(err) {
			return nil, err
		}
		// Not here: classify from the index's description of it.
		switch {
		case isAttestation:
			pm.Kind, pm.AttestationFor = imagetypes.ManifestKindAttestation, forDigest
		case desc.Platform != nil:
			pm.Kind = imagetypes.ManifestKindImage
		}
		return pm, nil
	}
	pm.ConfigDesc = f.config
	pm.Blobs = make([]ocispec.Descriptor, 0, 2+len(f.layers))
	pm.Blobs = append(pm.Blobs, desc)
	available := configPresent
	if f.cfg != nil {
		pm.Config = f.cfg
		pm.Blobs = append(pm.Blobs, f.config)
	}
	for i, l := range f.layers {
		if layerPresent == nil || layerPresent[i] {
			pm.Blobs = append(pm.Blobs, l)
		} else {
			available = false
		}
	}
	pm.Available = available

	switch {
	case isAttestation:
		pm.Kind, pm.AttestationFor = imagetypes.ManifestKindAttestation, forDigest
		return pm, nil
	case !f.imageLayers:
		return pm, nil
	}
	pm.Kind = imagetypes.ManifestKindImage
	if pm.Config != nil {
		if desc.Platform == nil {
			pm.Platform = platforms.Normalize(pm.Config.Platform)
		}
		pm.ChainIDs = layer.ChainIDs(pm.Config.RootFS.DiffIDs)
	}
	return pm, nil
}

// manifestFacts returns what the manifest desc says (not found when it is
// not present), whether its config counts as present (a config that does
// not decode does, as it is described without) and which layers are
// present (nil: all).
func (s *ImageService) manifestFacts(ctx context.Context, desc ocispec.Descriptor, gen uint64, cacheable bool) (f *manifestFacts, configPresent bool, layerPresent []bool, err error) {
	cached, ok := s.caches.manifestCache().get(desc.Digest)
	if ok {
		if err := image.CheckManifestSize(desc); err != nil {
			return nil, false, nil, err
		}
	}
	if ok && cacheable && cached.complete && cached.gen == gen {
		return cached, true, nil, nil
	}
	if ok {
		present, err := blobPresent(ctx, s.content, desc.Digest)
		if err != nil {
			return nil, false, nil, err
		}
		if !present {
			return nil, false, nil, errdefs.ErrNotFound.WithMessage("manifest " + desc.Digest.String())
		}
		f = &manifestFacts{config: cached.config, layers: cached.layers, imageLayers: cached.imageLayers, cfg: cached.cfg}
	} else {
		m, err := image.ReadManifest(ctx, s.content, desc)
		if err != nil {
			return nil, false, nil, err
		}
		f = &manifestFacts{config: m.Config, layers: m.Layers, imageLayers: image.HasImageLayers(m)}
	}

	configPresent = true
	if f.cfg != nil {
		if configPresent, err = blobPresent(ctx, s.content, f.config.Digest); err != nil {
			return nil, false, nil, err
		}
		if !configPresent {
			f.cfg = nil
		}
	} else {
		var cfg configSummary
		if err := image.ReadConfigInto(ctx, s.content, f.config, &cfg); err == nil {
			f.cfg = &cfg
		} else if errdefs.IsNotFound(err) {
			configPresent = false
		} else if !errdefs.IsDataLoss(err) && !errdefs.IsInvalidArgument(err) {
			// Undecodable or over the size limit: described without config.
			return nil, false, nil, err
		}
	}
	complete := configPresent && f.cfg != nil
	for i, l := range f.layers {
		present, err := blobPresent(ctx, s.content, l.Digest)
		if err != nil {
			return nil, false, nil, err
		}
		if !present {
			if layerPresent == nil {
				layerPresent = make([]bool, len(f.layers))
				for j := range i {
					layerPresent[j] = true
				}
			}
			complete = false
		} else if layerPresent != nil {
			layerPresent[i] = true
		}
	}
	f.complete, f.gen = complete && cacheable, gen
	if f.cfg != nil || !ok {
		s.caches.manifestCache().put(desc.Digest, f)
	}
	return f, configPresent, layerPresent, nil
}

// blobPresent reports whether store holds dgst.
func blobPresent(ctx context.Context, store content.InfoProvider, dgst digest.Digest) (bool, error) {
	if _, err := store.Info(ctx, dgst); err != nil {
		if errdefs.IsNotFound(err) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// bestManifest picks the manifest to describe an image by: a runnable one
// matching want (nil: any platform, the host's preferred), available ones
// first. It returns nil when none qualifies.
func bestManifest(list []*platformManifest, want *ocispec.Platform) *platformManifest {
	// The host's matcher is built only when two manifests compete: a
	// listing of single-manifest images never needs it.
	var match platforms.MatchComparer
	if want != nil {
		match = platforms.OnlyStrict(*want)
	}
	better := func(a, b *platformManifest) bool {
		if a.Available != b.Available {
			return a.Available
		}
		if match == nil {
			match = platforms.Default()
		}
		am, bm := match.Match(a.Platform), match.Match(b.Platform)
		if am != bm {
			return am
		}
		return am && match.Less(a.Platform, b.Platform)
	}
	var best *platformManifest
	for _, pm := range list {
		if !pm.runnable() {
			continue
		}
		if want != nil && !match.Match(pm.Platform) {
			continue
		}
		if best == nil || better(pm, best) {
			best = pm
		}
	}
	return best
}
