package integrationcli

import (
	"strings"
	"testing"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// TestRmiPlatform removes one platform of a two-platform image with
// `docker rmi --platform`: only that platform's manifest, config and
// layers go; the image, its name and the other platform stay usable.
// Without -f dockerd refuses, since the content may be shared.
func TestRmiPlatform(t *testing.T) {
	e := newImageEnv(t)
	idx := e.pushIndex("multi/app", "v1", fixtures.Index{Manifests: fixtures.Platforms("linux/amd64", "linux/arm64"), Attestations: true})
	ref := e.ref("multi/app", "v1")
	e.docker("pull", "-q", "--platform", "linux/amd64", ref)
	e.docker("pull", "-q", "--platform", "linux/arm64", ref)
	amd, arm := idx.Image("linux/amd64"), idx.Image("linux/arm64")
	blobs := e.contentBlobs()
	for _, d := range append(arm.LayerDigests(), arm.Digest, arm.ConfigDigest, amd.Digest, amd.LayerDigests()[0]) {
		if _, ok := blobs[d]; !ok {
			t.Fatalf("blob %s not present after pulling both platforms", d)
		}
	}

	msg := e.dockerFail("rmi", "--platform", "linux/arm64", ref)
	if !strings.Contains(msg, "Content will be removed from all images referencing this variant. Use —-force to force delete.") {
		t.Fatalf("rmi --platform without -f: %q", msg)
	}
	if _, ok := e.contentBlobs()[arm.Digest]; !ok {
		t.Fatal("the refused rmi removed content")
	}

	out := e.docker("rmi", "-f", "--platform", "linux/arm64", ref)
	if want := "Deleted: " + arm.Digest.String(); !strings.Contains(out, want) || strings.Contains(out, "Untagged") || strings.Contains(out, idx.Digest.String()) {
		t.Errorf("rmi --platform output %q, want %q and no Untagged or image ID", out, want)
	}
	blobs = e.contentBlobs()
	for _, d := range append(arm.LayerDigests(), arm.Digest, arm.ConfigDigest) {
		if _, ok := blobs[d]; ok {
			t.Errorf("arm64 blob %s still present", d)
		}
	}
	if att := idx.Attestation(arm.Digest); att != nil {
		if _, ok := blobs[att.Digest]; ok {
			t.Errorf("arm64 attestation %s still present", att.Digest)
		}
	}
	for _, d := range append(amd.LayerDigests(), amd.Digest, amd.ConfigDigest, idx.Digest) {
		if _, ok := blobs[d]; !ok {
			t.Errorf("blob %s of the kept platform (or the index) was removed", d)
		}
	}
	if got := e.inspect(ref)["Id"]; got != idx.Digest.String() {
		t.Errorf("image ID after rmi --platform: %v", got)
	}
	if out := e.docker("image", "inspect", "--platform", "linux/amd64", "--format", "{{.Architecture}}", ref); strings.TrimSpace(out) != "amd64" {
		t.Errorf("amd64 inspect after rmi --platform: %q", out)
	}
	// An absent platform is a not-found, which `rmi -f` keeps quiet about.
	if res := e.cli.Run("rmi", "-f", "--platform", "linux/s390x", ref); strings.Contains(res.Stdout, "Deleted") || len(e.contentBlobs()) != len(blobs) {
		t.Errorf("rmi of an absent platform removed something: %q", res.Combined())
	}
}
