package storage

import (
	"context"
	"fmt"
	"io"

	"github.com/containerd/errdefs"
	digest "github.com/opencontainers/go-digest"
)

// MaxTrailingData bounds what a layer (gzip, zstd or plain) may carry
// after the end of its tar archive. The diff ID covers those bytes, so they
// are read and hashed, as containerd's applier and dockerd's layer store do
// (both read them to the end, without a bound). Real layers carry only
// tar's record padding there: zeros up to the archive's blocking factor,
// 10 KiB for GNU tar's default, at most a few hundred KiB with a large -b.
// Past 1 MiB the layer is refused instead of being read on (gigabytes of
// zeros after the archive cost a pull minutes of CPU and were never part of
// any image).
const MaxTrailingData = 1 << 20

// drainTrailing reads (and so hashes) what follows the tar archive in r, up
// to MaxTrailingData bytes; more is an invalid-argument error naming layer.
func drainTrailing(ctx context.Context, r io.Reader, layer digest.Digest) error {
	n, err := io.Copy(io.Discard, io.LimitReader(r, MaxTrailingData+1))
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if n > MaxTrailingData {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(
			"layer %s has more than %d bytes (1 MiB) of data after the end of its tar archive", layer, MaxTrailingData))
	}
	return nil
}
