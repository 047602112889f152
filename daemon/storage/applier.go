package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/diff"
	"github.com/containerd/containerd/v2/core/mount"
	"github.com/containerd/containerd/v2/pkg/archive"
	"github.com/containerd/log"
	"github.com/moby/sys/userns"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sys/unix"

	"github.com/berth-dev/berth/layer"
	"github.com/berth-dev/berth/layer/gunzip"
	"github.com/berth-dev/berth/layer/inflight"
)

// applier is the embedded stack's diff applier. Layers of every type
// containerd's applier reads without a stream processor — gzip (nearly all
// of them), zstd and plain tar, told apart by their bytes — are
// decompressed here (decompress.go: gzip by gunzip.Gunzip — igzip, unpigz
// or in-process, with a fallback that never fails the apply — zstd
// in-process) and go through one path, applyStream: untarred with
// containerd's archive.Apply, straight into the overlay upperdir as
// containerd's own applier does, the data after the tar archive bounded
// (trailing.go), the diff ID hashed, the filesystem synced once before the
// snapshot can be committed (see the durability rule in the package doc),
// with write-back started early for big layers (writeback.go).
// Stream processors, and blobs in a compression the applier does not read,
// go to containerd's filesystem applier (synced the same way).
//
// Both read blobs through the inflight table's provider: a layer still
// downloading is applied as its bytes arrive, and only completes once its
// blob is committed (see layer/inflight). When such an apply fails, the
// download's own error, if it failed, is the one reported.
type applier struct {
	inflight *inflight.Table
	store    content.Provider
	gunzip   *gunzip.Gunzip
	fallback diff.Applier
	blocks   *sync.Pool // the diff-ID digesters' blocks (hasher.go)
	written  *writeBack // starts the disk on layers being untarred (writeback.go)
}

func newApplier(t *inflight.Table, store content.Provider, gz *gunzip.Gunzip, fallback diff.Applier, written *writeBack) applier {
	return applier{inflight: t, store: store, gunzip: gz, fallback: fallback, blocks: newBlockPool(), written: written}
}

func (a applier) Apply(ctx context.Context, desc ocispec.Descriptor, mounts []mount.Mount, opts ...diff.ApplyOpt) (ocispec.Descriptor, error) {
	applied, err := a.apply(ctx, desc, mounts, opts...)
	if err != nil && a.inflight != nil {
		if derr := a.inflight.Wait(desc.Digest, ctx.Done()); derr != nil && !errors.Is(derr, context.Canceled) {
			return ocispec.Descriptor{}, derr
		}
	}
	return applied, err
}

func (a applier) apply(ctx context.Context, desc ocispec.Descriptor, mounts []mount.Mount, opts ...diff.ApplyOpt) (ocispec.Descriptor, error) {
	var config diff.ApplyConfig
	for _, o := range opts {
		if err := o(ctx, desc, &config); err != nil {
			return ocispec.Descriptor{}, fmt.Errorf("failed to apply config opt: %w", err)
		}
	}
	if !appliesItself(ctx, desc.MediaType, config) {
		return a.fallback.Apply(ctx, desc, mounts, append(opts, diff.WithSyncFs(true))...)
	}
	ra, err := a.store.ReaderAt(ctx, desc)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("failed to get reader from content store: %w", err)
	}
	defer ra.Close()
	c, err := layer.Detect(head(ra))
	if err != nil {
		// bzip2 or xz, whatever the media type says: containerd's applier
		// fails on it as it would.
		return a.fallback.Apply(ctx, desc, mounts, append(opts, diff.WithSyncFs(true))...)
	}

	start := time.Now()
	prog := &progress{report: config.Progress}
	prog.at(0)
	defer prog.done()
	tarStream, decoder, err := a.decompress(ctx, c, ra, prog.at)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("failed to decompress %s: %w", desc.Digest, err)
	}
	defer tarStream.Close()
	applied, err := applyStream(ctx, mounts, tarStream, desc.Digest, a.blocks, a.written)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	log.G(ctx).WithFields(log.Fields{
		"d": time.Since(start), "digest": desc.Digest, "size": desc.Size, "compression": c, "decoder": decoder,
	}).Debug("diff applied")
	return applied, nil
}

// applyStream applies the tar stream r of the layer blob named blob onto
// the snapshot mounts (applyTar, one sync) and reads what follows the
// archive (at most MaxTrailingData bytes), telling written about the bytes
// it untars. The descriptor it returns is the stream's: its size and
// digest, the diff ID, which covers the trailing bytes too.
func applyStream(ctx context.Context, mounts []mount.Mount, r io.Reader, blob digest.Digest, blocks *sync.Pool, written *writeBack) (ocispec.Descriptor, error) {
	digester := newAsyncDigester(blocks) // hasher.go
	defer digester.close()
	tarStream := &countingReader{r: io.TeeReader(r, digester), onRead: written.layer()}
	if err := applyTar(ctx, mounts, tarStream); err != nil {
		return ocispec.Descriptor{}, err
	}
	if err := drainTrailing(ctx, tarStream, blob); err != nil {
		return ocispec.Descriptor{}, err
	}
	return ocispec.Descriptor{
		MediaType: ocispec.MediaTypeImageLayer,
		Size:      tarStream.n,
		Digest:    digester.Digest(),
	}, nil
}

// head reads the first bytes of a blob, for layer.Detect.
func head(ra content.ReaderAt) []byte {
	b := make([]byte, 10)
	n, _ := ra.ReadAt(b, 0)
	return b[:n]
}

// applyTar untars r onto the snapshot mounts and syncs the filesystem. An
// overlay snapshot with parents is written into its upperdir directly (the
// parents resolve inherited directory attributes), whiteouts converted to
// overlay's; anything else is mounted and applied to.
func applyTar(ctx context.Context, mounts []mount.Mount, r io.Reader) error {
	if len(mounts) == 1 && mounts[0].Type == "overlay" && !userns.RunningInUserNS() {
		if upper, lowers := overlayDirs(mounts[0].Options); upper != "" {
			opts := []archive.ApplyOpt{archive.WithConvertWhiteout(archive.OverlayConvertWhiteout)}
			if len(lowers) > 0 {
				opts = append(opts, archive.WithParents(lowers))
			}
			if _, err := archive.Apply(ctx, upper, r, opts...); err != nil {
				return err
			}
			BeforeSync(ctx)
			return syncFs(upper)
		}
	}
	// The first layer of an overlay image (a bind mount), any native
	// snapshot, or overlay in a user namespace.
	return mount.WithTempMount(ctx, mounts, func(root string) error {
		if _, err := archive.Apply(ctx, root, r); err != nil {
			return err
		}
		BeforeSync(ctx)
		return syncFs(root)
	})
}

// overlayDirs reads upperdir and lowerdir from overlay mount options.
func overlayDirs(options []string) (upper string, lowers []string) {
	for _, o := range options {
		if v, ok := strings.CutPrefix(o, "upperdir="); ok {
			upper = v
		} else if v, ok := strings.CutPrefix(o, "lowerdir="); ok {
			lowers = strings.Split(v, ":")
		}
	}
	return upper, lowers
}

// syncFs flushes the filesystem holding path: one syncfs(2) per applied
// layer instead of an fsync per file.
func syncFs(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("failed to open %s: %w", path, err)
	}
	defer f.Close()
	if err := unix.Syncfs(int(f.Fd())); err != nil {
		return fmt.Errorf("failed to syncfs for %s: %w", path, err)
	}
	return nil
}

type countingReader struct {
	r      io.Reader
	n      int64
	onRead func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.onRead != nil {
		c.onRead(c.n)
	}
	return n, err
}

// progress reports compressed bytes consumed to diff.WithProgress, never
// going backwards when a decoder is replaced and the blob is re-read.
type progress struct {
	report func(int64)
	max    int64
}

func (p *progress) at(n int64) {
	if p.report == nil || n < p.max || n == p.max && n > 0 {
		return
	}
	p.max = n
	p.report(n)
}

func (p *progress) done() {
	if p.report != nil {
		p.report(p.max)
	}
}
