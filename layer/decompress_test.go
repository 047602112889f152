package layer

import (
	"bytes"
	"io"
	"os/exec"
	"testing"

	"github.com/berth-dev/berth/testutil/fixtures"
)

func TestDecompressDetectsFormats(t *testing.T) {
	plain := bytes.Repeat([]byte("berth layer data "), 4096)
	cases := map[string][]byte{
		"plain": plain,
		"gzip":  fixtures.GzipBytes(t, plain),
		"zstd":  fixtures.ZstdBytes(t, plain),
		"xz":    fixtures.XzBytes(t, plain),
	}
	if _, err := exec.LookPath("bzip2"); err == nil {
		cases["bzip2"] = fixtures.Bzip2Bytes(t, plain)
	}
	for name, data := range cases {
		rc, err := Decompress(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, plain) {
			t.Errorf("%s: read %d bytes, err %v; want the original %d bytes", name, len(got), err, len(plain))
		}
	}
}

func TestDecompressEmptyAndBroken(t *testing.T) {
	rc, err := Decompress(bytes.NewReader(nil))
	if err != nil {
		t.Fatalf("empty stream: %v", err)
	}
	if b, _ := io.ReadAll(rc); len(b) != 0 {
		t.Errorf("empty stream read %d bytes", len(b))
	}
	gz := fixtures.GzipBytes(t, bytes.Repeat([]byte("x"), 1<<16))
	rc, err = Decompress(bytes.NewReader(gz[:len(gz)/2]))
	if err == nil {
		_, err = io.ReadAll(rc)
	}
	if err == nil {
		t.Error("a truncated gzip stream read without error")
	}
}
