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
	var out []*platformManifest
	seen := map[digest.Digest]bool{}
	err := image.WalkManifests(ctx, s.content, target, nil, func(desc ocispec.Descriptor, _ []ocispec.Descriptor) error {
		if seen[desc.Digest] {
			return nil
		}
		seen[desc.Digest] = true
		pm, err := s.inspectManifest(ctx, desc)
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
// present.
func (s *ImageService) inspectManifest(ctx context.Context, desc ocispec.Descriptor) (*platformManifest, error) {
	pm := &platformManifest{Desc: desc, Kind: imagetypes.ManifestKindUnknown}
	forDigest, isAttestation := image.AttestationFor(desc)
	if desc.Platform != nil {
		pm.Platform = platforms.Normalize(*desc.Platform)
	}

	m, err := image.ReadManifest(ctx, s.content, desc)
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
	pm.ConfigDesc = m.Config
	pm.Blobs = append(pm.Blobs, desc)

	available := true
	var cfg configSummary
	if err := image.ReadConfigInto(ctx, s.content, m.Config, &cfg); err == nil {
		pm.Config = &cfg
		pm.Blobs = append(pm.Blobs, m.Config)
	} else if errdefs.IsNotFound(err) {
		available = false
	} else if !errdefs.IsDataLoss(err) && !errdefs.IsInvalidArgument(err) {
		// Undecodable or over the size limit: described without config.
		return nil, err
	}
	for _, l := range m.Layers {
		present, err := blobPresent(ctx, s.content, l.Digest)
		if err != nil {
			return nil, err
		}
		if present {
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
	case !image.HasImageLayers(m):
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
	var match platforms.MatchComparer = platforms.Default()
	if want != nil {
		match = platforms.OnlyStrict(*want)
	}
	better := func(a, b *platformManifest) bool {
		if a.Available != b.Available {
			return a.Available
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
