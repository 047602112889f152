package images

import (
	"slices"
	"testing"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
)

// FuzzNames feeds record names to the name helpers: they never fail on any
// input, a familiar name means the same image as the full one, and a
// parseable name always has its repository@digest among the RepoDigests.
func FuzzNames(f *testing.F) {
	for _, s := range []string{
		"docker.io/library/alpine:latest", "alpine", "localhost:5000/a/b:v1",
		"reg.io/x@sha256:" + digest.FromString("x").Encoded(), "UPPER/case", "a:b:c", "",
		"docker.io/library/busybox:1.36@sha256:" + digest.FromString("y").Encoded(), "[::1]:5000/x:y",
	} {
		f.Add(s)
	}
	target := digest.FromString("target")
	f.Fuzz(func(t *testing.T, name string) {
		familiar := familiarName(name)
		full, err := reference.ParseNormalizedNamed(name)
		if err != nil {
			if familiar != name {
				t.Fatalf("familiarName(%q) = %q, want it unchanged", name, familiar)
			}
			return
		}
		again, err := reference.ParseNormalizedNamed(familiar)
		if err != nil || again.String() != full.String() {
			t.Fatalf("familiarName(%q) = %q, which means %v (%v), not %s", name, familiar, again, err, full)
		}
		tags, digests := repoTagsAndDigests([]string{name, name}, target)
		if tags == nil || digests == nil || !slices.IsSorted(tags) || !slices.IsSorted(digests) {
			t.Fatalf("repoTagsAndDigests(%q) = %q, %q", name, tags, digests)
		}
		want := reference.FamiliarName(full) + "@" + target.String()
		if !slices.Contains(digests, want) {
			t.Fatalf("RepoDigests of %q = %q, missing %q", name, digests, want)
		}
	})
}
