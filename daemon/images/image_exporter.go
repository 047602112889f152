package images

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"regexp"
	"strconv"

	"github.com/containerd/containerd/v2/core/content"
	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/images/archive"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/events"
	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/image"
)

// exportItem is one image record to save: under its name, or unnamed when
// the user designated it by ID or digest.
type exportItem struct {
	image c8dimages.Image
	named bool
}

// ExportImage is GET /images/get and /images/{name}/get: it streams to out
// an OCI image layout with Docker's manifest.json, as dockerd's containerd
// store writes it. Every name is resolved (and the content leased, see
// export_hold.go) before the first byte is written, so a missing image is
// a plain 404. With
// platforms, only those platforms are saved: one replaces the image's index
// by its manifest, several by an index of just those.
func (s *ImageService) ExportImage(ctx context.Context, names []string, want []ocispec.Platform, out io.Writer) error {
	ctx, release, err := s.startOperationLease(ctx, "save")
	if err != nil {
		return err
	}
	defer release(false)

	items, err := s.holdExportItems(ctx, names)
	if err != nil {
		return err
	}

	// Every blob the export reads joins the lease first (lease_store.go).
	store := s.leasingStore()
	opts := []archive.ExportOpt{archive.WithSkipNonDistributableBlobs(), archive.WithSkipMissing(store), archive.WithSkipDockerManifest()}
	var manifests dockerManifests // manifest.json (export_manifest.go)
	type saved struct {
		id     string
		labels map[string]string
	}
	var logged []saved
	for _, it := range items {
		target := it.image.Target
		if len(want) > 0 {
			if target, err = s.platformTarget(ctx, it.image, want); err != nil {
				return err
			}
		}
		if err := s.leaseImageContent(ctx, c8dimages.Image{Target: target}); err != nil {
			return err
		}
		list, err := s.platformManifests(ctx, target)
		if err != nil {
			return err
		}
		best := bestManifest(list, nil)
		target.Annotations = withoutNameLabels(target.Annotations)
		name := ""
		if it.named {
			name = it.image.Name
			opts = append(opts, archive.WithManifest(target, name))
		} else {
			opts = append(opts, archive.WithManifest(target))
		}
		if err := manifests.add(ctx, store, best, name); err != nil {
			return err
		}
		logged = append(logged, saved{id: target.Digest.String(), labels: best.configLabels()})
	}
	manifestJSON, err := manifests.json()
	if err != nil {
		return err
	}

	for _, l := range logged {
		s.logImageEvent(events.ActionSave, l.id, l.id, l.labels)
	}
	w, finish := insertManifestJSON(out, manifestJSON)
	if err := finish(archive.Export(ctx, store, w, opts...)); err != nil {
		log.G(ctx).WithError(err).Warn("image save failed while streaming")
		return err
	}
	return nil
}

// exportItems interprets one name of a save as dockerd does: repo:tag is
// that record; a bare repository is every tag of it; an ID, ID prefix or
// repo@digest saves the image without names.
func (s *ImageService) exportItems(ctx context.Context, name string) ([]exportItem, error) {
	r, resolveErr := s.resolve(ctx, name)
	specific := false
	if resolveErr == nil {
		_, digested := r.named.(reference.Digested)
		specific = r.byID || digested
	}
	ref, refErr := reference.ParseNormalizedNamed(name)
	if !specific && refErr == nil && reference.IsNameOnly(ref) {
		return s.repositoryItems(ctx, ref)
	}
	if resolveErr != nil {
		return nil, resolveErr
	}
	if specific {
		return []exportItem{{image: r.image()}}, nil
	}
	return []exportItem{{image: r.image(), named: true}}, nil
}

// repositoryItems lists every tagged record of repo.
func (s *ImageService) repositoryItems(ctx context.Context, repo reference.Named) ([]exportItem, error) {
	list, err := s.images.List(ctx, "name~="+strconv.Quote("^"+regexp.QuoteMeta(repo.Name())+":"))
	if err != nil {
		return nil, err
	}
	sortByName(list)
	var out []exportItem
	for _, img := range list {
		ref, err := reference.ParseNormalizedNamed(img.Name)
		if err != nil || ref.Name() != repo.Name() {
			continue
		}
		if _, ok := ref.(reference.NamedTagged); ok {
			out = append(out, exportItem{image: img, named: true})
		}
	}
	if len(out) == 0 {
		return nil, errNoSuchImage(repo)
	}
	return out, nil
}

// platformTarget is what a save with platforms writes for img: the one
// matching manifest, or an index of the matching ones (with their
// attestations), stored under the save's lease.
func (s *ImageService) platformTarget(ctx context.Context, img c8dimages.Image, want []ocispec.Platform) (ocispec.Descriptor, error) {
	list, err := s.platformManifests(ctx, img.Target)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	var keep []*platformManifest
	for _, p := range want {
		pm := bestManifest(list, &p)
		if pm == nil || !pm.Available {
			return ocispec.Descriptor{}, errdefs.ErrNotFound.WithMessage(fmt.Sprintf(
				"no suitable export target found: image with reference %s was found but does not provide the specified platform (%s)",
				familiarRecordName(img), platforms.FormatAll(p)))
		}
		keep = append(keep, pm)
	}
	if len(keep) == 1 || !c8dimages.IsIndexType(img.Target.MediaType) {
		d := keep[0].Desc
		d.Annotations = maps.Clone(d.Annotations)
		return d, nil
	}
	return s.writeFilteredIndex(ctx, img.Target, keep, list)
}

// familiarRecordName is the short name of a record for messages; the ID for
// dangling records.
func familiarRecordName(img c8dimages.Image) string {
	if IsDangling(img) {
		return img.Target.Digest.String()
	}
	if ref, err := reference.ParseNormalizedNamed(img.Name); err == nil {
		return reference.FamiliarString(ref)
	}
	return img.Name
}

// configLabels returns the config labels of pm (nil when pm is nil).
func (pm *platformManifest) configLabels() map[string]string {
	if pm == nil || pm.Config == nil {
		return nil
	}
	return pm.Config.Config.Labels
}

// writeFilteredIndex stores a copy of the index at root that lists only the
// manifests in keep and the attestations describing them.
func (s *ImageService) writeFilteredIndex(ctx context.Context, root ocispec.Descriptor, keep, all []*platformManifest) (ocispec.Descriptor, error) {
	idx, err := image.ReadIndex(ctx, s.content, root)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	kept := map[digest.Digest]bool{}
	for _, pm := range keep {
		kept[pm.Desc.Digest] = true
	}
	for _, pm := range all {
		if pm.Kind == imagetypes.ManifestKindAttestation && kept[pm.AttestationFor] {
			kept[pm.Desc.Digest] = true
		}
	}
	var manifests []ocispec.Descriptor
	for _, m := range idx.Manifests {
		if kept[m.Digest] {
			manifests = append(manifests, m)
		}
	}
	if len(manifests) == len(idx.Manifests) {
		return root, nil // all of it: the image keeps its ID
	}
	idx.Manifests = manifests
	data, err := json.Marshal(idx)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	desc := ocispec.Descriptor{MediaType: root.MediaType, Digest: digest.FromBytes(data), Size: int64(len(data))}
	labels := map[string]string{}
	for i, m := range manifests {
		labels[fmt.Sprintf("containerd.io/gc.ref.content.m.%d", i)] = m.Digest.String()
	}
	if err := content.WriteBlob(ctx, s.content, "save-index-"+desc.Digest.String(), bytes.NewReader(data), desc, content.WithLabels(labels)); err != nil {
		return ocispec.Descriptor{}, err
	}
	return desc, nil
}
