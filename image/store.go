package image

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// WriteBlob stores data, described by desc, in cs with labels. A blob the
// store holds already only gets the labels.
func WriteBlob(ctx context.Context, cs content.Store, desc ocispec.Descriptor, data []byte, labels map[string]string) error {
	cw, err := content.OpenWriter(ctx, cs, content.WithRef(remotes.MakeRefKey(ctx, desc)), content.WithDescriptor(desc))
	if err != nil {
		if !errdefs.IsAlreadyExists(err) {
			return err
		}
		if len(labels) == 0 {
			return nil
		}
		fields := make([]string, 0, len(labels))
		for k := range labels {
			fields = append(fields, "labels."+k)
		}
		_, err := cs.Update(ctx, content.Info{Digest: desc.Digest, Labels: labels}, fields...)
		return err
	}
	defer cw.Close()
	var opts []content.Opt
	if len(labels) > 0 {
		opts = append(opts, content.WithLabels(labels))
	}
	return content.Copy(ctx, cw, bytes.NewReader(data), desc.Size, desc.Digest, opts...)
}

// WriteJSON stores v, encoded as JSON, as a blob of mediaType and returns
// its descriptor.
func WriteJSON(ctx context.Context, cs content.Store, mediaType string, v any, labels map[string]string) (ocispec.Descriptor, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	desc := ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(data), Size: int64(len(data))}
	return desc, WriteBlob(ctx, cs, desc, data, labels)
}

// ManifestGCLabels are the labels that keep a manifest's config and layers
// alive in the content store as long as the manifest is.
func ManifestGCLabels(m ocispec.Manifest) map[string]string {
	labels := map[string]string{"containerd.io/gc.ref.content.config": m.Config.Digest.String()}
	for i, l := range m.Layers {
		labels["containerd.io/gc.ref.content.l."+strconv.Itoa(i)] = l.Digest.String()
	}
	return labels
}
