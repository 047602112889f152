package images

import (
	"fmt"
	"sort"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
)

// newRecordName reads the name an image is given (by tag or import) as
// dockerd does: repo, with tag replacing its tag, "latest" when neither has
// one. Names that do not parse (the reference library's own message) and
// digest references are invalid arguments.
func newRecordName(repo, tag string) (reference.NamedTagged, error) {
	ref, err := reference.ParseNormalizedNamed(repo)
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	if _, ok := ref.(reference.Digested); ok {
		return nil, errdefs.ErrInvalidArgument.WithMessage("cannot import digest reference")
	}
	if tag != "" {
		if ref, err = reference.WithTag(reference.TrimNamed(ref), tag); err != nil {
			return nil, errdefs.ErrInvalidArgument.WithMessage(err.Error())
		}
	}
	tagged, ok := reference.TagNameOnly(ref).(reference.NamedTagged)
	if !ok {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("unexpected reference %q", ref.String()))
	}
	return tagged, nil
}

// repoTagsAndDigests computes what the API shows as RepoTags and RepoDigests
// for the named records (dangling records excluded by the caller) that all
// point at target. RepoTags holds the familiar name:tag of every tagged
// record; RepoDigests holds repository@target for every repository that has
// a record, tagged or digested. Both are sorted, free of duplicates, and
// never nil. Names that do not parse as references are kept in RepoTags as
// they are, so that an odd record stays visible.
func repoTagsAndDigests(names []string, target digest.Digest) (repoTags, repoDigests []string) {
	tags := map[string]struct{}{}
	digests := map[string]struct{}{}
	for _, name := range names {
		ref, err := reference.ParseNormalizedNamed(name)
		if err != nil {
			tags[name] = struct{}{}
			continue
		}
		_, digested := ref.(reference.Digested)
		if tagged, ok := ref.(reference.NamedTagged); ok && !digested {
			tags[reference.FamiliarString(tagged)] = struct{}{}
		}
		if d, err := reference.WithDigest(reference.TrimNamed(ref), target); err == nil {
			digests[reference.FamiliarString(d)] = struct{}{}
		}
	}
	return sortedKeys(tags), sortedKeys(digests)
}

// familiarName returns the short form users know for a record name
// ("alpine:latest" for "docker.io/library/alpine:latest"); a name that does
// not parse is returned unchanged.
func familiarName(name string) string {
	ref, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return name
	}
	return reference.FamiliarString(ref)
}

func sortedKeys(m map[string]struct{}) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
