package images

import (
	"slices"
	"testing"

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
