package images

// A converted schema 1 image is known to the registry, and to users, by the
// digest of its schema 1 manifest, not by its converted target: this file
// finds and shows it.

import (
	"context"
	"strconv"

	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/opencontainers/go-digest"

	"github.com/berth-dev/berth/distribution/schema1"
)

// registryDigest is the digest the registry knows an image by: the target,
// except for a converted schema 1 image, whose records carry the schema 1
// manifest digest in a label. RepoDigests show it.
func registryDigest(records []c8dimages.Image, target digest.Digest) digest.Digest {
	for _, rec := range records {
		if d, err := digest.Parse(rec.Labels[schema1.AnnotationSchema1Digest]); err == nil {
			return d
		}
	}
	return target
}

// recordsByRegistryDigest finds the records of a converted schema 1 image
// by its registry digest, with every record sharing their target.
func (s *ImageService) recordsByRegistryDigest(ctx context.Context, dgst digest.Digest) ([]c8dimages.Image, error) {
	list, err := s.images.List(ctx, "labels."+strconv.Quote(schema1.AnnotationSchema1Digest)+"=="+dgst.String())
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return s.recordsOf(ctx, list[0].Target.Digest)
}
