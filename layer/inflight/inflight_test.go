package inflight

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/plugins/content/local"
	"github.com/containerd/errdefs"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// storeWithTable is a local content store wrapped as the embedded storage
// wraps it, and the table.
func storeWithTable(t *testing.T) (*Table, content.Store) {
	t.Helper()
	root := filepath.Join(t.TempDir(), "content")
	cs, err := local.NewStore(root)
	if err != nil {
		t.Fatal(err)
	}
	tab := NewTable()
	return tab, tab.WrapStore(cs, root)
}

func blob(n int) ([]byte, ocispec.Descriptor) {
	b := bytes.Repeat([]byte("layer bytes "), n)
	return b, ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: digest.FromBytes(b), Size: int64(len(b))}
}

// The metadata store names ingests "<ns>/<seq>/<ref>"; the table follows
// them by the digest at the end.
func openWriter(t *testing.T, cs content.Store, desc ocispec.Descriptor) content.Writer {
	t.Helper()
	w, err := cs.Writer(context.Background(), content.WithRef("berth/1/layer-"+desc.Digest.String()), content.WithDescriptor(ocispec.Descriptor{Size: desc.Size}))
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// readAsync reads the whole blob through the table's provider.
func readAsync(tab *Table, cs content.Store, desc ocispec.Descriptor) <-chan []byte {
	out := make(chan []byte, 1)
	go func() {
		ra, err := tab.Provider(cs).ReaderAt(context.Background(), desc)
		if err != nil {
			out <- nil
			return
		}
		defer ra.Close()
		b, err := io.ReadAll(io.NewSectionReader(ra, 0, ra.Size()))
		if err != nil {
			b = append([]byte("error: "), err.Error()...)
		}
		out <- b
	}()
	return out
}

func TestReaderGetsBytesAsTheyAreWrittenAndTheEndOnlyAfterCommit(t *testing.T) {
	tab, cs := storeWithTable(t)
	data, desc := blob(100000)
	h := tab.Expect(desc)
	defer h.Release()
	got := readAsync(tab, cs, desc)
	w := openWriter(t, cs, desc)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-got:
		t.Fatalf("the reader finished before the blob was committed (%d bytes)", len(b))
	case <-time.After(200 * time.Millisecond):
	}
	if err := w.Commit(context.Background(), desc.Size, desc.Digest); err != nil {
		t.Fatal(err)
	}
	w.Close()
	h.Done(nil)
	if b := <-got; !bytes.Equal(b, data) {
		t.Fatalf("read %d bytes, not the blob's %d", len(b), len(data))
	}
}

func TestReaderFailsWhenTheDownloadDoesNotVerify(t *testing.T) {
	tab, cs := storeWithTable(t)
	data, desc := blob(1000)
	h := tab.Expect(desc)
	defer h.Release()
	got := readAsync(tab, cs, desc)
	w := openWriter(t, cs, desc)
	bad := bytes.ToUpper(data)
	if _, err := w.Write(bad); err != nil {
		t.Fatal(err)
	}
	cerr := w.Commit(context.Background(), desc.Size, desc.Digest)
	if cerr == nil {
		t.Fatal("commit of wrong bytes succeeded")
	}
	w.Close()
	h.Done(cerr)
	if b := <-got; !bytes.HasPrefix(b, []byte("error: ")) {
		t.Fatalf("reader of an unverified blob got %q, want an error", b[:min(len(b), 40)])
	}
	if err := tab.Wait(desc.Digest, nil); !errors.Is(err, cerr) {
		t.Fatalf("Wait = %v, want the commit error %v", err, cerr)
	}
}

func TestReaderFailsWhenTheWriterIsClosedUncommitted(t *testing.T) {
	tab, cs := storeWithTable(t)
	data, desc := blob(1000)
	h := tab.Expect(desc)
	defer h.Release()
	got := readAsync(tab, cs, desc)
	w := openWriter(t, cs, desc)
	if _, err := w.Write(data[:500]); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if b := <-got; !bytes.Contains(b, []byte("interrupted")) {
		t.Fatalf("reader got %q, want the interruption", b[:min(len(b), 40)])
	}
	h.Done(errInterrupted)
}

// A blob committed by a writer that was not followed (it existed, or
// another pull wrote it) is read from the store once the fetch is done.
func TestReaderFallsBackToTheStore(t *testing.T) {
	tab, cs := storeWithTable(t)
	data, desc := blob(1000)
	if err := content.WriteBlob(context.Background(), cs, "other", bytes.NewReader(data), desc); err != nil {
		t.Fatal(err)
	}
	h := tab.Expect(desc)
	defer h.Release()
	got := readAsync(tab, cs, desc)
	h.Done(nil)
	if b := <-got; !bytes.Equal(b, data) {
		t.Fatalf("read %q", b[:min(len(b), 40)])
	}
}

func TestUnexpectedBlobsAreReadFromTheStore(t *testing.T) {
	tab, cs := storeWithTable(t)
	data, desc := blob(10)
	if err := content.WriteBlob(context.Background(), cs, "x", bytes.NewReader(data), desc); err != nil {
		t.Fatal(err)
	}
	if b := <-readAsync(tab, cs, desc); !bytes.Equal(b, data) {
		t.Fatalf("read %q", b)
	}
	if len(tab.entries) != 0 {
		t.Fatalf("table holds %d entries after use", len(tab.entries))
	}
}

// A followed download whose blob another writer committed first (a `docker
// load`, say) ends with the store's "already exists" after the bytes were
// verified: the blob is there, so its readers get it instead of that error.
func TestReaderGetsTheBlobWhenAnotherWriterCommittedItFirst(t *testing.T) {
	tab, cs := storeWithTable(t)
	data, desc := blob(1000)
	h := tab.Expect(desc)
	defer h.Release()
	got := readAsync(tab, cs, desc)
	w := openWriter(t, cs, desc)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := content.WriteBlob(context.Background(), cs, "load", bytes.NewReader(data), desc); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(context.Background(), desc.Size, desc.Digest); !errdefs.IsAlreadyExists(err) {
		t.Fatalf("commit after another writer's = %v, want already exists", err)
	}
	w.Close()
	h.Done(nil)
	if b := <-got; !bytes.Equal(b, data) {
		t.Fatalf("read %q, want the blob", b[:min(len(b), 40)])
	}
}

// TestWaitStarted: an expected blob is "started" once its writer has
// written bytes (not when the writer is merely opened) or its fetch ended;
// a blob nobody expects is started at once.
func TestWaitStarted(t *testing.T) {
	tab, cs := storeWithTable(t)
	data, desc := blob(1000)
	started := func() <-chan error {
		ch := make(chan error, 1)
		go func() { ch <- tab.WaitStarted(desc.Digest, nil) }()
		return ch
	}
	if err := tab.WaitStarted(desc.Digest, nil); err != nil {
		t.Fatalf("a blob nobody expects: %v", err)
	}
	h := tab.Expect(desc)
	defer h.Release()
	got := started()
	w := openWriter(t, cs, desc)
	defer w.Close()
	select {
	case err := <-got:
		t.Fatalf("started before any byte was written: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	if _, err := w.Write(data[:10]); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("not started after the first bytes")
	}

	// Ended without bytes (a failed fetch): started, the apply reports it.
	_, other := blob(7)
	h2 := tab.Expect(other)
	defer h2.Release()
	cancel := make(chan struct{})
	go func() { time.Sleep(20 * time.Millisecond); h2.Done(errors.New("boom")) }()
	if err := tab.WaitStarted(other.Digest, cancel); err != nil {
		t.Fatalf("after the fetch ended: %v", err)
	}
	// Cancelled while waiting.
	_, third := blob(9)
	h3 := tab.Expect(third)
	defer h3.Release()
	close(cancel)
	if err := tab.WaitStarted(third.Digest, cancel); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}
}
