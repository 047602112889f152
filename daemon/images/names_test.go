package images

import (
	"slices"
	"strings"
	"testing"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
)

func TestRepoTagsAndDigests(t *testing.T) {
	target := digest.FromString("image")
	other := digest.FromString("other")
	for _, tc := range []struct {
		name         string
		names        []string
		tags, digsts []string
	}{
		{"none", nil, []string{}, []string{}},
		{
			"tags of two repositories",
			[]string{"docker.io/library/alpine:latest", "docker.io/library/alpine:3", "registry.example:5000/team/app:v1"},
			[]string{"alpine:3", "alpine:latest", "registry.example:5000/team/app:v1"},
			[]string{"alpine@" + target.String(), "registry.example:5000/team/app@" + target.String()},
		},
		{
			// A record pulled by digest names no tag; its repository's
			// digest is the target's whatever the record's digest says.
			"digest-only record",
			[]string{"docker.io/library/alpine@" + other.String()},
			[]string{},
			[]string{"alpine@" + target.String()},
		},
		{"unparsable name kept", []string{"Not A Ref"}, []string{"Not A Ref"}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tags, digests := repoTagsAndDigests(tc.names, target)
			if tags == nil || digests == nil {
				t.Fatalf("nil slice: tags %v digests %v", tags, digests)
			}
			if !slices.Equal(tags, tc.tags) || !slices.Equal(digests, tc.digsts) {
				t.Errorf("got %q %q, want %q %q", tags, digests, tc.tags, tc.digsts)
			}
		})
	}
}

func TestFamiliarNames(t *testing.T) {
	if got := familiarName("docker.io/library/alpine:latest"); got != "alpine:latest" {
		t.Errorf("familiarName = %q", got)
	}
	if got := familiarName("moby-dangling@sha256:x"); got != "moby-dangling@sha256:x" {
		t.Errorf("familiarName of an unparsable name = %q, want it unchanged", got)
	}
}

// TestIsDigestFormat checks the hand-written digest grammar against the
// reference library's, which repoTagsAndDigests used to call per name.
func TestIsDigestFormat(t *testing.T) {
	hex := strings.Repeat("ab", 16)
	for _, s := range []string{
		"sha256:" + hex + hex, "sha512:" + hex + hex + hex + hex, "a:" + hex, "A1:" + strings.ToUpper(hex),
		"x-y_z+w.v:" + hex, "sha256:" + hex[:31], "sha256:" + hex + "g", ":" + hex, "1a:" + hex,
		"a-:" + hex, "a--b:" + hex, "a.1:" + hex, "sha256" + hex, "", "sha256:", "a::" + hex,
	} {
		_, err := reference.WithDigest(reference.TrimNamed(mustParse(t, "alpine")), digest.Digest(s))
		if got, want := isDigestFormat(s), err == nil; got != want {
			t.Errorf("isDigestFormat(%q) = %v, reference.WithDigest accepts it: %v", s, got, want)
		}
	}
}

func mustParse(t *testing.T, name string) reference.Named {
	t.Helper()
	ref, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}
