package layer

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/pkg/labels"
	"github.com/containerd/containerd/v2/plugins/content/local"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/testutil/fixtures"
)

func testTar(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range []struct{ name, body string }{{"etc/hostname", "berth\n"}, {"bin/app", string(bytes.Repeat([]byte("x"), 70000))}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(f.body))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func newStore(t *testing.T) content.Store {
	t.Helper()
	cs, err := local.NewLabeledStore(t.TempDir(), memLabels{})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// readBack returns the stored blob and checks its digest, size and label.
func readBack(t *testing.T, cs content.Store, s Stored) []byte {
	t.Helper()
	ctx := context.Background()
	data, err := content.ReadBlob(ctx, cs, s.Descriptor)
	if err != nil {
		t.Fatal(err)
	}
	if digest.FromBytes(data) != s.Descriptor.Digest || int64(len(data)) != s.Descriptor.Size {
		t.Errorf("descriptor %+v does not describe the %d stored bytes", s.Descriptor, len(data))
	}
	info, err := cs.Info(ctx, s.Descriptor.Digest)
	if err != nil || info.Labels[labels.LabelUncompressed] != s.DiffID.String() {
		t.Errorf("labels %v (%v), want the diff ID %s", info.Labels, err, s.DiffID)
	}
	return data
}

func uncompressed(t *testing.T, blob []byte) []byte {
	t.Helper()
	r, err := Uncompress(bytes.NewReader(blob))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCreateGzipsAndComputesBothDigests(t *testing.T) {
	cs := newStore(t)
	tarball := testTar(t)
	s, err := Create(context.Background(), cs, bytes.NewReader(tarball))
	if err != nil {
		t.Fatal(err)
	}
	if s.Descriptor.MediaType != ocispec.MediaTypeImageLayerGzip || s.DiffID != digest.FromBytes(tarball) {
		t.Errorf("stored %+v, want a gzip layer with the tar's diff ID %s", s, digest.FromBytes(tarball))
	}
	blob := readBack(t, cs, s)
	if !bytes.Equal(uncompressed(t, blob), tarball) {
		t.Error("the blob does not decompress to the tar")
	}
	// The same tar again is the same blob, already there.
	again, err := Create(context.Background(), cs, bytes.NewReader(tarball))
	if err != nil || again.Descriptor.Digest != s.Descriptor.Digest || again.DiffID != s.DiffID {
		t.Errorf("second create = %+v, %v; want %+v", again, err, s)
	}
}

func TestImportFormats(t *testing.T) {
	tarball := testTar(t)
	for _, tc := range []struct {
		name  string
		data  []byte
		media string
		kept  bool
	}{
		{"plain", tarball, ocispec.MediaTypeImageLayerGzip, false},
		{"gzip", fixtures.GzipBytes(t, tarball), ocispec.MediaTypeImageLayerGzip, true},
		{"zstd", fixtures.ZstdBytes(t, tarball), ocispec.MediaTypeImageLayerZstd, true},
		{"xz", fixtures.XzBytes(t, tarball), ocispec.MediaTypeImageLayerGzip, false},
		{"bzip2", fixtures.Bzip2Bytes(t, tarball), ocispec.MediaTypeImageLayerGzip, false},
		{"empty", nil, ocispec.MediaTypeImageLayerGzip, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := newStore(t)
			s, err := Import(context.Background(), cs, bytes.NewReader(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			want := tarball
			if tc.data == nil {
				want = nil
			}
			if s.Descriptor.MediaType != tc.media || s.DiffID != digest.FromBytes(want) {
				t.Errorf("stored %+v, want media type %s and diff ID %s", s, tc.media, digest.FromBytes(want))
			}
			blob := readBack(t, cs, s)
			if kept := bytes.Equal(blob, tc.data); kept != tc.kept {
				t.Errorf("blob kept as given = %v, want %v", kept, tc.kept)
			}
			if !bytes.Equal(uncompressed(t, blob), want) {
				t.Error("the blob does not decompress to the tar")
			}
		})
	}
}

func TestImportRejectsWhatIsNotATar(t *testing.T) {
	tarball := testTar(t)
	badGzip := fixtures.GzipBytes(t, tarball)
	badGzip = append(badGzip[:len(badGzip)/2:len(badGzip)/2], bytes.Repeat([]byte{7}, 100)...)
	badXz := fixtures.XzBytes(t, tarball)
	badXz = badXz[:len(badXz)-20]
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"text", bytes.Repeat([]byte("not a tar\n"), 100)},
		{"truncated tar", tarball[:5000]},
		{"corrupt gzip", badGzip},
		{"gzip of text", fixtures.GzipBytes(t, bytes.Repeat([]byte("text "), 200))},
		{"truncated xz", badXz},
		{"zstd of text", fixtures.ZstdBytes(t, bytes.Repeat([]byte("text "), 200))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := newStore(t)
			_, err := Import(context.Background(), cs, bytes.NewReader(tc.data))
			if !errdefs.IsInvalidArgument(err) {
				t.Fatalf("error %v, want an invalid-argument error", err)
			}
			assertEmpty(t, cs)
		})
	}
}

// A failure to read the source is not the archive's fault.
func TestImportSourceErrorPassesThrough(t *testing.T) {
	cs := newStore(t)
	boom := errors.New("client went away")
	r := io.MultiReader(bytes.NewReader(testTar(t)[:2048]), errReader{boom})
	_, err := Import(context.Background(), cs, r)
	if !errors.Is(err, boom) || errdefs.IsInvalidArgument(err) {
		t.Fatalf("error %v, want the source's error unclassified", err)
	}
	assertEmpty(t, cs)
}

func assertEmpty(t *testing.T, cs content.Store) {
	t.Helper()
	ctx := context.Background()
	var blobs int
	cs.Walk(ctx, func(content.Info) error { blobs++; return nil })
	ingests, err := cs.ListStatuses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if blobs != 0 || len(ingests) != 0 {
		t.Errorf("store holds %d blobs and %d ingests, want none", blobs, len(ingests))
	}
}

// memLabels keeps blob labels in memory, as containerd's metadata store
// would on disk.
type memLabels map[digest.Digest]map[string]string

func (m memLabels) Get(d digest.Digest) (map[string]string, error) { return m[d], nil }

func (m memLabels) Set(d digest.Digest, l map[string]string) error {
	m[d] = l
	return nil
}

func (m memLabels) Update(d digest.Digest, l map[string]string) (map[string]string, error) {
	if m[d] == nil {
		m[d] = map[string]string{}
	}
	for k, v := range l {
		if v == "" {
			delete(m[d], k)
		} else {
			m[d][k] = v
		}
	}
	return m[d], nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
