package images

import (
	"context"

	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
)

// danglingPrefix names the record that keeps an image whose tag moved on,
// as dockerd's containerd store does.
const danglingPrefix = "moby-dangling@"

// danglingName is the dangling record name for a target digest.
func danglingName(dgst digest.Digest) string {
	return danglingPrefix + dgst.String()
}

// IsDangling reports whether img is a dangling record: its name is the one
// of its own target digest.
func IsDangling(img c8dimages.Image) bool {
	return img.Name == danglingName(img.Target.Digest)
}

// keepAsDangling stores a copy of img as a dangling record (no name labels),
// unless another image still points at its target.
func (s *ImageService) keepAsDangling(ctx context.Context, img c8dimages.Image) error {
	others, err := s.images.List(ctx, "target.digest=="+img.Target.Digest.String())
	if err != nil {
		return err
	}
	for _, o := range others {
		if o.Name != img.Name {
			return nil // still referenced by another name (or already dangling)
		}
	}
	d := c8dimages.Image{
		Name:      danglingName(img.Target.Digest),
		Target:    img.Target,
		CreatedAt: img.CreatedAt,
		Labels:    withoutNameLabels(img.Labels),
	}
	if _, err := s.images.Create(ctx, d); err != nil && !errdefs.IsAlreadyExists(err) {
		return err
	}
	return nil
}

// removeDangling deletes the dangling record of dgst, if any.
func (s *ImageService) removeDangling(ctx context.Context, dgst digest.Digest) error {
	err := s.images.Delete(ctx, danglingName(dgst))
	if err != nil && !errdefs.IsNotFound(err) {
		return err
	}
	return nil
}

func withoutNameLabels(labels map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range labels {
		if k == "io.containerd.image.name" || k == "org.opencontainers.image.ref.name" {
			continue
		}
		out[k] = v
	}
	return out
}
