package layer

import (
	"bytes"
	"compress/gzip"
	"io"
	"os/exec"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

func TestDecompressDetectsFormats(t *testing.T) {
	plain := bytes.Repeat([]byte("berth layer data "), 4096)
	var gz, zs, x bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write(plain)
	gw.Close()
	zw, _ := zstd.NewWriter(&zs)
	zw.Write(plain)
	zw.Close()
	xw, _ := xz.NewWriter(&x)
	xw.Write(plain)
	xw.Close()
	cases := map[string][]byte{"plain": plain, "gzip": gz.Bytes(), "zstd": zs.Bytes(), "xz": x.Bytes()}
	if _, err := exec.LookPath("bzip2"); err == nil {
		cmd := exec.Command("bzip2", "-c")
		cmd.Stdin = bytes.NewReader(plain)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		cases["bzip2"] = out
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
	var gz bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write(bytes.Repeat([]byte("x"), 1<<16))
	gw.Close()
	rc, err = Decompress(bytes.NewReader(gz.Bytes()[:gz.Len()/2]))
	if err == nil {
		_, err = io.ReadAll(rc)
	}
	if err == nil {
		t.Error("a truncated gzip stream read without error")
	}
}
