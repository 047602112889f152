package image

import (
	"context"
	"net/http"

	"github.com/moby/moby/api/types/jsonstream"

	"github.com/berth-dev/berth/api/server/httputils"
	"github.com/berth-dev/berth/api/types/backend"
)

// postImagesImport is POST /images/create with fromSrc (docker import). It
// answers a JSON stream ending with {"status":"sha256:…"}; an error before
// anything was streamed is a plain HTTP error.
func (ir *imageRouter) postImagesImport(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	platform, err := httputils.DecodePlatform(r.Form["platform"])
	if err != nil {
		return err
	}
	stream := httputils.NewProgressStream(ctx, w)
	id, err := ir.backend.ImportImage(ctx, backend.ImportOptions{
		Source:   r.Form.Get("fromSrc"),
		Body:     r.Body,
		Repo:     r.Form.Get("repo"),
		Tag:      r.Form.Get("tag"),
		Message:  r.Form.Get("message"),
		Changes:  r.Form["changes"],
		Platform: platform,
	}, stream)
	if err != nil {
		if !stream.Started() {
			return err
		}
		_ = stream.WriteError(err)
		return nil
	}
	return stream.WriteMessage(jsonstream.Message{Status: id.String()})
}
