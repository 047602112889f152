package integrationcli

import (
	"net/http"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/testutil/fixtures"
	"github.com/berth-dev/berth/testutil/registry"
)

// TestPullWithoutManifestHeaders pulls from a registry that does not say
// what its manifests are — a generic or missing Content-Type (static file
// servers, some proxies), or a HEAD answered with Content-Length 0: the pull
// succeeds as from any registry, and the image's descriptor has the media
// type its manifest declares.
func TestPullWithoutManifestHeaders(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	const repo = "headers/app"
	img := e.push(repo, "orig", smallImage(900))
	idx := e.pushIndex(repo, "multi", fixtures.Index{Format: fixtures.OCI, Manifests: fixtures.Platforms("linux/amd64", "linux/arm64")})
	e.reg.ServeManifest(repo, "application/json", img.Manifest, "", "json")
	e.reg.ServeManifest(repo, "", img.Manifest, "", "untyped")
	e.reg.ServeManifest(repo, "application/octet-stream", idx.Manifest, "", "octet-index")
	e.push(repo, "zero", smallImage(900))
	e.reg.Inject(registry.ManifestPath(repo, "zero"), registry.Fault{Method: http.MethodHead, Status: http.StatusOK, Header: http.Header{
		"Content-Type":          {img.MediaType},
		"Docker-Content-Digest": {img.Digest.String()},
		"Content-Length":        {"0"},
	}})

	for _, c := range []struct {
		tag, id, mediaType string
	}{
		{"json", img.Digest.String(), img.MediaType},
		{"untyped", img.Digest.String(), img.MediaType},
		{"octet-index", idx.Digest.String(), ocispec.MediaTypeImageIndex},
		{"zero", img.Digest.String(), img.MediaType},
	} {
		ref := e.ref(repo, c.tag)
		res := e.cli.Run("pull", ref)
		if res.ExitCode != 0 || !strings.Contains(res.Stdout, "Status: Downloaded newer image for "+ref) {
			t.Errorf("pull %s: exit %d\nstdout: %s\nstderr: %s", c.tag, res.ExitCode, res.Stdout, res.Stderr)
			continue
		}
		got := e.docker("image", "inspect", "--format", "{{.Id}} {{.Descriptor.mediaType}} {{.Descriptor.size}}", ref)
		if fields := strings.Fields(got); len(fields) != 3 || fields[0] != c.id || fields[1] != c.mediaType || fields[2] == "0" {
			t.Errorf("pull %s: inspect says %q, want ID %s, media type %s and the manifest's size", c.tag, got, c.id, c.mediaType)
		}
	}
	// A document that is no manifest is still refused, by its type.
	e.reg.ServeManifest(repo, "text/html", []byte("<html>not here</html>"), "", "html")
	if out := e.dockerFail("pull", e.ref(repo, "html")); !strings.Contains(out, "unexpected media type text/html") {
		t.Errorf("pull of an HTML page: %q", out)
	}
}
