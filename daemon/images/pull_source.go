package images

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/containerd/containerd/v2/core/content"
	c8dimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/containerd/v2/pkg/labels"
	"github.com/containerd/containerd/v2/pkg/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// A pull labels every blob with where it came from (containerd's
// distribution-source label, which push uses to mount blobs across
// repositories). containerd's handler does it with one metadata write per
// blob after the blob's own; here a blob the pull fetches gets the label in
// the write that commits it, and the handler writes only where the label
// lacks the repository. Each metadata write is a bbolt commit with two
// fdatasyncs, serialized across all pulls, so this is what concurrent pulls
// of different images wait on.

// pullSource is one pull's source: the label key and the repository.
type pullSource struct {
	key, repo string
	handler   c8dimages.HandlerFunc // containerd's, for blobs that need it

	mu      sync.Mutex
	fetched map[digest.Digest]bool // committed by this pull, labelled and leased
}

// newPullSource reads the source out of ref as containerd's
// AppendDistributionSourceLabel does.
func newPullSource(cs content.Store, ref string) (*pullSource, error) {
	h, err := docker.AppendDistributionSourceLabel(cs, ref)
	if err != nil {
		return nil, err
	}
	spec, err := reference.Parse(ref)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse("dummy://" + spec.Locator)
	if err != nil {
		return nil, err
	}
	return &pullSource{
		key:     labels.LabelDistributionSource + "." + u.Hostname(),
		repo:    strings.TrimPrefix(u.Path, "/"),
		handler: h,
		fetched: map[digest.Digest]bool{},
	}, nil
}

// labelled reports whether l names the repository as a source.
func (ps *pullSource) labelled(l map[string]string) bool {
	return slices.Contains(strings.Split(l[ps.key], ","), ps.repo)
}

// labelHandler is containerd's labelling handler, skipping blobs labelled
// already (read from cs).
func (ps *pullSource) labelHandler(cs content.Manager) c8dimages.HandlerFunc {
	return func(ctx context.Context, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
		if info, err := cs.Info(ctx, desc.Digest); err == nil && ps.labelled(info.Labels) {
			return nil, nil
		}
		return ps.handler(ctx, desc)
	}
}

// fetchHandler is remotes.FetchHandler into store, except for the blobs
// this pull committed already (the manifest and config selectManifest
// fetched) and those held says its lease holds and are present (a re-pull:
// the previous image's): fetching those again only repeats their lease
// write.
func (ps *pullSource) fetchHandler(store content.Store, fetcher remotes.Fetcher, held func(context.Context, digest.Digest) bool) c8dimages.HandlerFunc {
	h := remotes.FetchHandler(ps.store(store), fetcher)
	return func(ctx context.Context, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
		ps.mu.Lock()
		done := ps.fetched[desc.Digest]
		ps.mu.Unlock()
		if done || held(ctx, desc.Digest) {
			return nil, nil
		}
		return h(ctx, desc)
	}
}

// store is cs with writers that commit with the source label.
func (ps *pullSource) store(cs content.Store) content.Store { return labellingStore{Store: cs, ps: ps} }

type labellingStore struct {
	content.Store
	ps *pullSource
}

func (s labellingStore) Writer(ctx context.Context, opts ...content.WriterOpt) (content.Writer, error) {
	w, err := s.Store.Writer(ctx, opts...)
	if err != nil {
		return nil, err
	}
	return labellingWriter{Writer: w, ps: s.ps}, nil
}

type labellingWriter struct {
	content.Writer
	ps *pullSource
}

func (w labellingWriter) Commit(ctx context.Context, size int64, expected digest.Digest, opts ...content.Opt) error {
	label := func(info *content.Info) error {
		if info.Labels == nil {
			info.Labels = map[string]string{}
		}
		info.Labels[w.ps.key] = w.ps.repo // a new blob: no other source yet
		return nil
	}
	if err := w.Writer.Commit(ctx, size, expected, append(opts, label)...); err != nil {
		return err
	}
	w.ps.mu.Lock()
	w.ps.fetched[expected] = true
	w.ps.mu.Unlock()
	return nil
}
