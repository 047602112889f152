package distribution

import (
	"net/http"
	"slices"
	"strings"

	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// manifestTypes are the manifest media types a push's existence check
// accepts besides the pushed one.
var manifestTypes = []string{
	ocispec.MediaTypeImageIndex, ocispec.MediaTypeImageManifest,
	images.MediaTypeDockerSchema2ManifestList, images.MediaTypeDockerSchema2Manifest,
}

// pushExistCheck widens the Accept header of the HEAD request containerd's
// pusher sends before a manifest ("does the tag already point at this
// digest?") to every manifest type. It accepts only the pushed manifest's
// type, so a registry whose tag holds another kind converts or refuses: a
// distribution registry answers 400 ("Schema 2 manifest not supported by
// client") when an OCI manifest is pushed over a Docker manifest list,
// which failed the push. Accepting all, the registry answers with what the
// tag holds, whose digest the pusher compares with the pushed one.
type pushExistCheck struct{ base http.RoundTripper }

func (p pushExistCheck) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodHead || !strings.Contains(req.URL.Path, "/manifests/") {
		return p.base.RoundTrip(req)
	}
	accept := strings.Split(req.Header.Get("Accept"), ", ")
	for _, mt := range manifestTypes {
		if !slices.Contains(accept, mt) {
			accept = append(accept[:len(accept):len(accept)], mt)
		}
	}
	req = req.Clone(req.Context())
	req.Header.Set("Accept", strings.Join(accept, ", "))
	return p.base.RoundTrip(req)
}

// withPushExistCheck returns hosts whose clients send pushExistCheck's
// existence checks.
func withPushExistCheck(hosts []docker.RegistryHost) []docker.RegistryHost {
	out := make([]docker.RegistryHost, len(hosts))
	for i, h := range hosts {
		c := http.Client{}
		if h.Client != nil {
			c = *h.Client
		}
		base := c.Transport
		if base == nil {
			base = http.DefaultTransport
		}
		c.Transport = pushExistCheck{base: base}
		h.Client = &c
		out[i] = h
	}
	return out
}
