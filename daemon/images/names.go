package images

import (
	"fmt"
	"slices"
	"strings"

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
	return repoTagsAndDigestsCached(names, target, nil)
}

// nameFacts is what repoTagsAndDigests needs of one record name, parsed
// once (the reference grammar is regular expressions).
type nameFacts struct {
	// ref is the name without tag or digest, nil when the name does not
	// parse.
	ref reference.Named
	// tag is the familiar name:tag of a tagged name without digest.
	tag string
	// repo is the familiar repository name.
	repo string
}

func parseNameFacts(name string) nameFacts {
	ref, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return nameFacts{}
	}
	nf := nameFacts{ref: reference.TrimNamed(ref), repo: reference.FamiliarName(ref)}
	_, digested := ref.(reference.Digested)
	if tagged, ok := ref.(reference.NamedTagged); ok && !digested {
		nf.tag = reference.FamiliarString(tagged)
	}
	return nf
}

// repoTagsAndDigestsCached is repoTagsAndDigests with the parsed names kept
// in cache (nil: none).
func repoTagsAndDigestsCached(names []string, target digest.Digest, cache *boundedCache[string, nameFacts]) (repoTags, repoDigests []string) {
	// Slices sorted and compacted at the end: no maps for the one or two
	// names most images have.
	tags := make([]string, 0, len(names))
	digests := make([]string, 0, len(names))
	validTarget, checked := false, false
	for _, name := range names {
		nf, ok := nameFacts{}, false
		if cache != nil {
			nf, ok = cache.get(name)
		}
		if !ok {
			nf = parseNameFacts(name)
			if cache != nil {
				cache.put(name, nf)
			}
		}
		if nf.ref == nil {
			tags = append(tags, name)
			continue
		}
		if nf.tag != "" {
			tags = append(tags, nf.tag)
		}
		if !checked {
			// The same check for every name: whether target is a digest
			// that reference.WithDigest accepts.
			validTarget, checked = isDigestFormat(target.String()), true
		}
		if validTarget {
			digests = append(digests, nf.repo+"@"+target.String())
		}
	}
	return sortedSet(tags), sortedSet(digests)
}

// sortedSet sorts s and drops repeats, in place.
func sortedSet(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// isDigestFormat reports whether s matches the reference grammar's digest,
// algorithm-component ([A-Za-z][A-Za-z0-9]*) joined by [-_+.], ':', then
// at least 32 hex digits, as reference.WithDigest checks it (without its
// regular expression, which costs more than the rest of a listing).
func isDigestFormat(s string) bool {
	i := 0
	isLetter := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	for {
		if i >= len(s) || !isLetter(s[i]) {
			return false
		}
		for i < len(s) && (isLetter(s[i]) || s[i] >= '0' && s[i] <= '9') {
			i++
		}
		if i < len(s) && strings.IndexByte("-_+.", s[i]) >= 0 {
			i++
			continue
		}
		break
	}
	if i >= len(s) || s[i] != ':' {
		return false
	}
	hex := s[i+1:]
	if len(hex) < 32 {
		return false
	}
	for j := 0; j < len(hex); j++ {
		c := hex[j]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
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
