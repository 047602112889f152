package images

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/containerd/containerd/v2/core/content"
	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/plugins/content/local"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// TestPushTarget runs dockerd's choice of what to push against a real
// content store holding an index with some platforms' content only.
func TestPushTarget(t *testing.T) {
	ctx := context.Background()
	host := platforms.Format(platforms.DefaultSpec())
	idx, err := fixtures.Index{Manifests: fixtures.Platforms(host, "linux/s390x", "linux/riscv64"), Attestations: true}.Build()
	if err != nil {
		t.Fatal(err)
	}
	p := func(s string) *ocispec.Platform { v := platforms.MustParse(s); return &v }
	for _, tc := range []struct {
		name    string
		present []string // platforms whose manifest, config and layers are stored
		want    *ocispec.Platform
		pick    string // platform of the chosen manifest; "index" for the whole index
		err     string
	}{
		{"all present", []string{host, "linux/s390x", "linux/riscv64"}, nil, "index", ""},
		{"one present", []string{"linux/riscv64"}, nil, "linux/riscv64", ""},
		{"host among two", []string{host, "linux/s390x"}, nil, host, ""},
		{"two foreign", []string{"linux/s390x", "linux/riscv64"}, nil, "", "multiple matching manifests found but no specific platform requested"},
		{"none present", nil, nil, "", "was found but does not provide any platform (content missing locally for " + host + ", linux/s390x, linux/riscv64)"},
		{"requested present", []string{"linux/s390x", "linux/riscv64"}, p("linux/s390x"), "linux/s390x", ""},
		{"requested of all", []string{host, "linux/s390x", "linux/riscv64"}, p("linux/riscv64"), "linux/riscv64", ""},
		{"requested absent", []string{host}, p("linux/s390x"), "", "does not provide the specified platform (linux/s390x)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store, err := local.NewStore(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			write := func(d ocispec.Descriptor, data []byte) {
				if err := content.WriteBlob(ctx, store, d.Digest.String(), bytes.NewReader(data), d); err != nil {
					t.Fatal(err)
				}
			}
			write(idx.Descriptor(), idx.Manifest)
			for _, e := range idx.Entries {
				img := e.Image
				if e.IsAttestation() {
					// Attestations are complete but never chosen.
					img = idx.Attestation(digest.Digest(e.Descriptor.Annotations[fixtures.AnnotationReferenceDigest]))
				} else if !slices.Contains(tc.present, fixtures.PlatformString(*e.Descriptor.Platform)) {
					continue
				}
				write(img.Descriptor(), img.Manifest)
				write(ocispec.Descriptor{Digest: img.ConfigDigest, Size: int64(len(img.Config))}, img.Config)
				for _, l := range img.Layers {
					write(l.Descriptor(), l.Blob)
				}
			}
			s := &ImageService{content: store}
			rec := c8dimages.Image{Name: "docker.io/library/multi:1", Target: idx.Descriptor()}
			got, err := s.pushTarget(ctx, rec, tc.want)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v, %v; want error %q", got.Digest, err, tc.err)
				}
				if strings.Contains(tc.err, "multiple") != errdefs.IsConflict(err) {
					t.Errorf("error class of %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := idx.Digest
			if tc.pick != "index" {
				want = idx.Image(tc.pick).Digest
			}
			if got.Digest != want {
				t.Errorf("picked %s, want %s (%s)", got.Digest, want, tc.pick)
			}
		})
	}
}
