package httputils

import (
	"testing"

	"github.com/moby/moby/api/pkg/authconfig"
	"github.com/moby/moby/api/types/registry"
)

// TestDecodeAuth: X-Registry-Auth as the docker CLI encodes it gives the
// credentials; an absent, empty or undecodable header an anonymous pull.
func TestDecodeAuth(t *testing.T) {
	want := registry.AuthConfig{Username: "alice", Password: "s3cret", ServerAddress: "reg.local:5000"}
	header, err := authconfig.Encode(want)
	if err != nil {
		t.Fatal(err)
	}
	if got := DecodeAuth(header); got == nil || *got != want {
		t.Errorf("DecodeAuth(%q) = %+v, want %+v", header, got, want)
	}
	for _, anon := range []string{"", "e30=", "!!not base64!!", "bm90IGpzb24="} {
		if got := DecodeAuth(anon); got != nil {
			t.Errorf("DecodeAuth(%q) = %+v, want nil (anonymous)", anon, got)
		}
	}
}
