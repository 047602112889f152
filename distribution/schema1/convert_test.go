package schema1

import (
	"context"
	"crypto/elliptic"
	"encoding/json"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// convertFixture is a schema 1 image served by a testRegistry: three real
// layers (gzip, plain tar, zstd) oldest first, with throwaway entries whose
// blob the registry does not even have.
type convertFixture struct {
	reg     *testRegistry
	layers  []fixtures.BuiltLayer
	m       *Manifest
	payload []byte
}

func newConvertFixture(t *testing.T) *convertFixture {
	t.Helper()
	reg := newTestRegistry(t, "legacy/app")
	var layers []fixtures.BuiltLayer
	for i, c := range []fixtures.Compression{fixtures.Gzip, fixtures.Uncompressed, fixtures.Zstd} {
		l, err := fixtures.Layer{Seed: int64(i + 1), Size: 64 << 10, Compression: c}.Build(fixtures.Docker)
		if err != nil {
			t.Fatal(err)
		}
		reg.addBlob(l.Blob)
		layers = append(layers, l)
	}
	steps := []step{
		{blob: layers[0].Digest, cmd: []string{"/bin/sh -c #(nop) ADD file:a in /"}},
		{blob: emptyGzipDigest, throwaway: true, cmd: []string{"/bin/sh -c #(nop)  ENV A=b"}},
		{blob: layers[1].Digest, cmd: []string{"/bin/sh", "-c", "make"}},
		{blob: emptyGzipDigest, throwaway: true, cmd: []string{"/bin/sh -c #(nop)  WORKDIR /w"}},
		{blob: layers[2].Digest, cmd: []string{"/bin/sh", "-c", "install"}},
		{blob: emptyGzipDigest, throwaway: true, cmd: []string{`/bin/sh -c #(nop)  CMD ["app"]`},
			extra: map[string]any{"os": "linux", "architecture": "amd64",
				"config": map[string]any{"Cmd": []string{"app"}, "Env": []string{"A=b"}, "WorkingDir": "/w"}}},
	}
	payload := render(t, manifestDoc("legacy/app", "v1", steps))
	signed := signPretty(t, payload, newECKey(t, elliptic.P256()))
	reg.addManifest(MediaTypeSignedManifest, signed, digest.FromBytes(payload), "v1")
	m, _, err := Parse(signed, MediaTypeSignedManifest)
	if err != nil {
		t.Fatal(err)
	}
	return &convertFixture{reg: reg, layers: layers, m: m, payload: payload}
}

func (f *convertFixture) diffIDs() []digest.Digest {
	var out []digest.Digest
	for _, l := range f.layers {
		out = append(out, l.DiffID)
	}
	return out
}

// eventLog records progress events.
type eventLog struct {
	mu     sync.Mutex
	events []ProgressEvent
}

func (l *eventLog) LayerProgress(e ProgressEvent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

// kinds returns the event kinds of blob d, in order.
func (l *eventLog) kinds(d digest.Digest) []EventKind {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []EventKind
	for _, e := range l.events {
		if e.Digest == d && (len(out) == 0 || out[len(out)-1] != e.Kind) {
			out = append(out, e.Kind)
		}
	}
	return out
}

func TestConvert(t *testing.T) {
	ctx := context.Background()
	f := newConvertFixture(t)
	cs := newStore(t)
	events := &eventLog{}
	conv := &Converter{Store: cs, Fetcher: fetcherFor(t, testResolver(""), f.reg.ref("v1")), Progress: events}

	desc, err := conv.Convert(ctx, f.m)
	if err != nil {
		t.Fatal(err)
	}
	if desc.MediaType != ocispec.MediaTypeImageManifest {
		t.Fatalf("media type %s", desc.MediaType)
	}
	if got := f.reg.requests(emptyGzipDigest.String()); len(got) != 0 {
		t.Fatalf("throwaway blob requested: %v", got)
	}
	for _, l := range f.layers {
		if got := f.reg.requests("GET /v2/legacy/app/blobs/" + l.Digest.String()); len(got) != 1 {
			t.Errorf("blob %s fetched %d times", l.Digest, len(got))
		}
		want := []EventKind{LayerQueued, LayerDownloading, LayerDownloaded}
		if got := events.kinds(l.Digest); !slices.Equal(got, want) {
			t.Errorf("events of %s: %v, want %v", l.Digest, got, want)
		}
	}

	// The manifest: OCI, layers oldest first by actual compression, GC
	// labels, the schema 1 digest as annotation.
	var mf ocispec.Manifest
	readJSON(t, cs, desc, &mf)
	wantTypes := []string{ocispec.MediaTypeImageLayerGzip, ocispec.MediaTypeImageLayer, ocispec.MediaTypeImageLayerZstd}
	if len(mf.Layers) != 3 {
		t.Fatalf("layers %+v", mf.Layers)
	}
	for i, l := range mf.Layers {
		if l.Digest != f.layers[i].Digest || l.Size != f.layers[i].Size || l.MediaType != wantTypes[i] {
			t.Errorf("layer %d = %+v", i, l)
		}
	}
	if mf.Annotations[AnnotationSchema1Digest] != digest.FromBytes(f.payload).String() {
		t.Errorf("annotations %v", mf.Annotations)
	}
	info, err := cs.Info(ctx, desc.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if info.Labels["containerd.io/gc.ref.content.config"] != mf.Config.Digest.String() {
		t.Errorf("labels %v", info.Labels)
	}
	for i, l := range mf.Layers {
		if info.Labels["containerd.io/gc.ref.content.l."+strconv.Itoa(i)] != l.Digest.String() {
			t.Errorf("labels %v", info.Labels)
		}
	}

	// The config: diff IDs (sha256 of each uncompressed tar, oldest first,
	// no throwaway) give dockerd's chain ID; history keeps every entry.
	var img ocispec.Image
	readJSON(t, cs, mf.Config, &img)
	if !slices.Equal(img.RootFS.DiffIDs, f.diffIDs()) {
		t.Fatalf("diff IDs %v, want %v", img.RootFS.DiffIDs, f.diffIDs())
	}
	if got, want := identity.ChainID(img.RootFS.DiffIDs), identity.ChainID(f.diffIDs()); got != want {
		t.Fatalf("chain ID %s, want %s", got, want)
	}
	if img.OS != "linux" || img.Architecture != "amd64" || !slices.Equal(img.Config.Cmd, []string{"app"}) ||
		!slices.Equal(img.Config.Env, []string{"A=b"}) || img.Config.WorkingDir != "/w" {
		t.Errorf("config %+v", img)
	}
	if len(img.History) != 6 {
		t.Fatalf("history %+v", img.History)
	}
	for i, h := range img.History {
		if h.EmptyLayer != (i%2 == 1) || h.Created == nil {
			t.Errorf("history %d = %+v", i, h)
		}
	}
	if img.History[2].CreatedBy != "/bin/sh -c make" {
		t.Errorf("created_by %q", img.History[2].CreatedBy)
	}

	// Diff IDs are cached on the blobs.
	for _, l := range f.layers {
		info, err := cs.Info(ctx, l.Digest)
		if err != nil || info.Labels["containerd.io/uncompressed"] != l.DiffID.String() {
			t.Errorf("blob %s labels %v (%v)", l.Digest, info.Labels, err)
		}
	}

	// Converting again fetches nothing and gives the same manifest.
	events2 := &eventLog{}
	conv.Progress = events2
	before := len(f.reg.requests("/blobs/"))
	desc2, err := conv.Convert(ctx, f.m)
	if err != nil {
		t.Fatal(err)
	}
	if desc2.Digest != desc.Digest || len(f.reg.requests("/blobs/")) != before {
		t.Fatalf("second convert: %s vs %s, blob requests %d -> %d", desc2.Digest, desc.Digest, before, len(f.reg.requests("/blobs/")))
	}
	for _, l := range f.layers {
		if got := events2.kinds(l.Digest); !slices.Equal(got, []EventKind{LayerExists}) {
			t.Errorf("events of %s: %v", l.Digest, got)
		}
	}
}

// TestConvertEmptyLayers: old images use the empty gzip tar as a real
// (not throwaway) layer; dockerd kept it in the root filesystem. A blob
// listed twice is fetched once.
func TestConvertEmptyLayers(t *testing.T) {
	ctx := context.Background()
	reg := newTestRegistry(t, "old/busybox")
	base, err := fixtures.Layer{Seed: 7}.Build(fixtures.Docker)
	if err != nil {
		t.Fatal(err)
	}
	reg.addBlob(base.Blob)
	empty := reg.addBlob(fixtures.EmptyGzipLayer())
	steps := []step{
		{blob: base.Digest, cmd: []string{"/bin/sh -c #(nop) ADD file:b in /"}},
		{blob: empty, cmd: []string{"/bin/sh -c #(nop) MAINTAINER x"}},
		{blob: empty, cmd: []string{`/bin/sh -c #(nop) CMD ["sh"]`}, extra: map[string]any{"os": "linux"}},
	}
	m := parseSteps(t, steps)
	cs := newStore(t)
	desc, err := (&Converter{Store: cs, Fetcher: fetcherFor(t, testResolver(""), reg.ref("x"))}).Convert(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	if got := reg.requests("GET /v2/old/busybox/blobs/" + empty.String()); len(got) != 1 {
		t.Fatalf("empty blob fetched %d times", len(got))
	}
	var mf ocispec.Manifest
	readJSON(t, cs, desc, &mf)
	var img ocispec.Image
	readJSON(t, cs, mf.Config, &img)
	emptyTar := digest.FromBytes(make([]byte, 1024))
	want := []digest.Digest{base.DiffID, emptyTar, emptyTar}
	if !slices.Equal(img.RootFS.DiffIDs, want) || len(mf.Layers) != 3 {
		t.Fatalf("diff IDs %v, want %v", img.RootFS.DiffIDs, want)
	}
}

// TestConvertCorruptBlob: a blob that does not match its digest fails the
// conversion as invalid and leaves neither a blob nor an ingest behind.
func TestConvertCorruptBlob(t *testing.T) {
	ctx := context.Background()
	f := newConvertFixture(t)
	bad := f.layers[1].Digest
	f.reg.mu.Lock()
	f.reg.corrupt[bad] = true
	f.reg.mu.Unlock()
	cs := newStore(t)
	conv := &Converter{Store: cs, Fetcher: fetcherFor(t, testResolver(""), f.reg.ref("v1"))}

	_, err := conv.Convert(ctx, f.m)
	wantInvalid(t, err)
	t.Log(err)
	if _, err := cs.Info(ctx, bad); !errdefs.IsNotFound(err) {
		t.Fatalf("corrupt blob committed: %v", err)
	}
	if _, err := cs.Status(ctx, "layer-"+bad.String()); !errdefs.IsNotFound(err) {
		t.Fatalf("ingest kept: %v", err)
	}

	f.reg.mu.Lock()
	delete(f.reg.corrupt, bad)
	f.reg.mu.Unlock()
	if _, err := conv.Convert(ctx, f.m); err != nil {
		t.Fatalf("retry after the registry is fixed: %v", err)
	}
}

// TestConvertResumes: an interrupted ingest "layer-<digest>" is continued
// with a Range request.
func TestConvertResumes(t *testing.T) {
	ctx := context.Background()
	f := newConvertFixture(t)
	cs := newStore(t)
	l := f.layers[0]
	half := int64(len(l.Blob) / 2)
	w, err := content.OpenWriter(ctx, cs, content.WithRef("layer-"+l.Digest.String()),
		content.WithDescriptor(ocispec.Descriptor{Digest: l.Digest, Size: l.Size}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(l.Blob[:half]); err != nil {
		t.Fatal(err)
	}
	w.Close()

	events := &eventLog{}
	conv := &Converter{Store: cs, Fetcher: fetcherFor(t, testResolver(""), f.reg.ref("v1")), Progress: events}
	if _, err := conv.Convert(ctx, f.m); err != nil {
		t.Fatal(err)
	}
	want := "GET /v2/legacy/app/blobs/" + l.Digest.String() + " bytes=" + strconv.FormatInt(half, 10) + "-"
	if got := f.reg.requests("GET /v2/legacy/app/blobs/" + l.Digest.String()); !slices.Equal(got, []string{want}) {
		t.Fatalf("requests %v, want %q", got, want)
	}
	events.mu.Lock()
	defer events.mu.Unlock()
	for _, e := range events.events {
		if e.Digest == l.Digest && e.Kind == LayerDownloading {
			if e.Current != half || e.Total != l.Size {
				t.Fatalf("first progress %+v, want current %d of %d", e, half, l.Size)
			}
			break
		}
	}
}

func readJSON(t *testing.T, cs content.Provider, desc ocispec.Descriptor, v any) {
	t.Helper()
	b, err := content.ReadBlob(context.Background(), cs, desc)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}
