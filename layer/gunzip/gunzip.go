// Package gunzip decompresses gzip layer blobs with the fastest decoder the
// machine has (igzip, unpigz, in-process), falling back without failing.
package gunzip

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	"github.com/containerd/log"
	kgzip "github.com/klauspost/compress/gzip"
)

// The gzip decoders a Gunzip tries, fastest first, and the variables that
// turn one off (containerd's names, so one setting covers both).
var gunzipCommands = []struct{ name, disableEnv string }{
	{"igzip", "CONTAINERD_DISABLE_IGZIP"}, // ISA-L (Debian: isal)
	{"unpigz", "CONTAINERD_DISABLE_PIGZ"}, // Debian: pigz
}

// InProcess names the decoder of last resort (klauspost/compress).
const InProcess = "in-process"

// Gunzip decompresses gzip layers with the fastest decoder at hand: igzip,
// then unpigz (run as child processes, `-d -c`), then klauspost's in-process
// decoder. A decoder that cannot start or fails part-way is not fatal: the
// next one re-reads the source from the start, skips what was delivered
// already, and carries on, so the reader sees one uninterrupted stream. Only
// the in-process decoder's error (a stream that really is broken) reaches
// the reader. The decoders are found once, when the Gunzip is made (New).
type Gunzip struct {
	cmds []string // absolute paths, fastest first
	log  *log.Entry
}

// Opt configures New.
type Opt func(*Gunzip)

// WithCommands replaces the decoders looked up on PATH with these
// paths, tried in order (each is run as `path -d -c`); none leaves only the
// in-process decoder.
func WithCommands(paths ...string) Opt {
	return func(g *Gunzip) { g.cmds = paths }
}

// WithLogger sets where fallbacks are logged (default: log.L).
func WithLogger(l *log.Entry) Opt {
	return func(g *Gunzip) { g.log = l }
}

// New finds the decoders on PATH (igzip, unpigz; each skipped when its
// CONTAINERD_DISABLE_* variable is true) unless told which to use.
func New(opts ...Opt) *Gunzip {
	g := &Gunzip{log: log.L}
	for _, c := range gunzipCommands {
		if disabled(c.disableEnv) {
			continue
		}
		if p, err := exec.LookPath(c.name); err == nil {
			g.cmds = append(g.cmds, p)
		}
	}
	for _, o := range opts {
		o(g)
	}
	return g
}

func disabled(env string) bool {
	v, err := strconv.ParseBool(os.Getenv(env))
	return err == nil && v
}

// Decoder names the decoder tried first: the command's base name or
// InProcess.
func (g *Gunzip) Decoder() string {
	if len(g.cmds) == 0 {
		return InProcess
	}
	return filepath.Base(g.cmds[0])
}

// Reader returns the decompressed stream of the gzip data open returns;
// open is called again, for a fresh stream from the start, whenever a
// decoder has to be replaced. Close stops any child process. Cancelling ctx
// kills it too.
func (g *Gunzip) Reader(ctx context.Context, open func() (io.ReadCloser, error)) (io.ReadCloser, error) {
	r := &gunzipReader{ctx: ctx, g: g, open: open}
	if err := r.next(); err != nil {
		return nil, err
	}
	return r, nil
}

// gunzipReader lives for one Apply call; it keeps that call's context to
// start replacement decoders under it.
type gunzipReader struct {
	ctx  context.Context
	g    *Gunzip
	open func() (io.ReadCloser, error)

	tried     int   // decoders started so far; g.cmds[tried-1] or in-process is current
	delivered int64 // decompressed bytes handed to the reader
	skip      int64 // bytes the current decoder must still drop (delivered before it took over)
	src       io.ReadCloser
	dec       io.Reader // current decoder's output
	proc      *decoderProc
	err       error // sticky
}

type decoderProc struct {
	cmd    *exec.Cmd
	stdout io.ReadCloser
	stderr bytes.Buffer
}

// next starts the next decoder on a fresh source, after closing the current
// one. The in-process decoder is last; its failure to start is returned.
func (r *gunzipReader) next() error {
	r.stop()
	for r.tried < len(r.g.cmds) {
		path := r.g.cmds[r.tried]
		r.tried++
		if err := r.startCmd(path); err != nil {
			r.g.log.WithError(err).Warnf("gzip decoder %s unusable; trying the next one", path)
			r.stop()
			continue
		}
		r.skip = r.delivered
		return nil
	}
	r.tried = len(r.g.cmds) + 1
	src, err := r.open()
	if err != nil {
		return err
	}
	r.src = src
	zr, err := kgzip.NewReader(src)
	if err != nil {
		return err
	}
	r.dec, r.skip = zr, r.delivered
	return nil
}

func (r *gunzipReader) startCmd(path string) error {
	src, err := r.open()
	if err != nil {
		return err
	}
	r.src = src
	p := &decoderProc{cmd: exec.CommandContext(r.ctx, path, "-d", "-c")}
	p.cmd.Stdin = src
	p.cmd.Stderr = &p.stderr
	if p.stdout, err = p.cmd.StdoutPipe(); err != nil {
		return err
	}
	if err := p.cmd.Start(); err != nil {
		return err
	}
	r.proc, r.dec = p, p.stdout
	return nil
}

// stop ends the current decoder and closes its source.
func (r *gunzipReader) stop() {
	if r.proc != nil {
		if r.proc.cmd.Process != nil {
			r.proc.cmd.Process.Kill()
			r.proc.cmd.Wait()
		}
		r.proc = nil
	}
	if r.src != nil {
		r.src.Close()
		r.src = nil
	}
	r.dec = nil
}

func (r *gunzipReader) Read(p []byte) (int, error) {
	for r.err == nil {
		if r.skip > 0 {
			if _, err := io.CopyN(io.Discard, r.dec, r.skip); err != nil {
				r.failover(fmt.Errorf("while skipping the %d bytes delivered before: %w", r.skip, err))
				continue
			}
			r.skip = 0
		}
		n, err := r.dec.Read(p)
		r.delivered += int64(n)
		if err == nil {
			return n, nil
		}
		if err == io.EOF && r.proc != nil {
			// A child's EOF counts only if it exits cleanly.
			if werr := r.proc.cmd.Wait(); werr != nil {
				err = fmt.Errorf("%w: %s", werr, bytes.TrimSpace(r.proc.stderr.Bytes()))
			}
			r.proc = nil // waited for
		}
		if err == io.EOF {
			r.err = io.EOF
		} else {
			r.failover(err)
		}
		if n > 0 {
			return n, nil
		}
	}
	return 0, r.err
}

// failover replaces a failed decoder with the next one. The in-process
// decoder's error, and the end of the context, are final.
func (r *gunzipReader) failover(cause error) {
	if err := r.ctx.Err(); err != nil {
		r.err = err
		return
	}
	if r.tried > len(r.g.cmds) {
		r.err = cause
		return
	}
	r.g.log.WithError(cause).WithField("offset", r.delivered).
		Warnf("gzip decoder %s failed; continuing with the next one", r.g.cmds[r.tried-1])
	if err := r.next(); err != nil {
		r.err = err
	}
}

func (r *gunzipReader) Close() error {
	r.stop()
	if r.err == nil {
		r.err = errors.New("gunzip: reader closed")
	}
	return nil
}
