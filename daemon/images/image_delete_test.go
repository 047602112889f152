package images

import (
	"slices"
	"testing"

	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func records(target digest.Digest, names ...string) []c8dimages.Image {
	var out []c8dimages.Image
	for _, n := range names {
		out = append(out, c8dimages.Image{Name: n, Target: ocispec.Descriptor{Digest: target}})
	}
	return out
}

func names(list []c8dimages.Image) []string {
	var out []string
	for _, img := range list {
		out = append(out, img.Name)
	}
	return out
}

func TestSameReferences(t *testing.T) {
	id := digest.FromString("img")
	const (
		latest = "docker.io/library/app:latest"
		v1     = "docker.io/library/app:v1"
		other  = "docker.io/library/other:latest"
	)
	byDigest := "docker.io/library/app@" + id.String()
	for _, tc := range []struct {
		name string
		user string
		all  []string
		want []string
	}{
		{"the tag only", "app", []string{latest, v1, other}, []string{latest}},
		{"digest refs go with the last tag of the repo", "app:v1", []string{v1, byDigest, other}, []string{v1, byDigest}},
		{"digest refs stay while the repo keeps a tag", "app", []string{byDigest, latest, v1}, []string{latest}},
		{"name@digest takes the whole repository", "app@" + id.String(), []string{latest, v1, byDigest, other}, []string{latest, v1, byDigest}},
		{"dangling records go along", "app", []string{latest, danglingName(id)}, []string{latest, danglingName(id)}},
		{"unknown name", "nope", []string{latest, danglingName(id)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			named, err := reference.ParseNormalizedNamed(tc.user)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := named.(reference.Digested); !ok {
				named = reference.TagNameOnly(named)
			}
			got := names(sameReferences(named, records(id, tc.all...)))
			if !slices.Equal(got, tc.want) {
				t.Errorf("sameReferences(%s, %v) = %v, want %v", tc.user, tc.all, got, tc.want)
			}
		})
	}
}

func TestIsSingleReference(t *testing.T) {
	id := digest.FromString("img")
	byDigest := "docker.io/library/app@" + id.String()
	for _, tc := range []struct {
		all  []string
		want bool
	}{
		{[]string{"docker.io/library/app:latest"}, true},
		{[]string{"docker.io/library/app:latest", byDigest}, true},
		{[]string{byDigest}, true},
		{[]string{danglingName(id)}, true},
		{[]string{"docker.io/library/app:latest", "docker.io/library/app:v1"}, false},
		{[]string{"docker.io/library/app:latest", "docker.io/library/other:latest"}, false},
		{[]string{"docker.io/library/app:latest", "docker.io/library/other@" + id.String()}, false},
	} {
		if got := isSingleReference(records(id, tc.all...)); got != tc.want {
			t.Errorf("isSingleReference(%v) = %v, want %v", tc.all, got, tc.want)
		}
	}
}
