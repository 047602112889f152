package image

import (
	"context"
	"encoding/json"
	"io"
	"net/http"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client/pkg/versions"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/api/server"
	"github.com/berth-dev/berth/api/server/httputils"
	"github.com/berth-dev/berth/api/types/backend"
)

// getImagesGet is GET /images/get?names=… and GET /images/{name}/get.
func (ir *imageRouter) getImagesGet(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	names := r.Form["names"]
	if name, ok := vars["name"]; ok {
		names = []string{name}
	}
	list, err := archivePlatforms(ctx, r)
	if err != nil {
		return err
	}
	out := &lazyWriter{w: w, contentType: "application/x-tar"}
	if err := ir.backend.ExportImage(ctx, names, list, out); err != nil {
		if !out.started {
			return err
		}
		// The tar is already under way: say what broke inside it, as dockerd.
		b, _ := json.Marshal(jsonstream.Message{Error: &jsonstream.Error{Message: err.Error()}})
		_, _ = out.Write(b)
	}
	return nil
}

// postImagesLoad is POST /images/load.
func (ir *imageRouter) postImagesLoad(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	list, err := archivePlatforms(ctx, r)
	if err != nil {
		return err
	}
	opts := backend.LoadOptions{Quiet: httputils.BoolValue(r, "quiet"), Platforms: list}
	stream := httputils.NewProgressStream(ctx, w)
	if err := ir.backend.LoadImage(ctx, r.Body, opts, stream); err != nil {
		if !stream.Started() {
			// Read what the client still sends, so it gets the answer
			// instead of a broken pipe.
			_, _ = io.Copy(io.Discard, r.Body)
			return err
		}
		_ = stream.WriteError(err)
	}
	return nil
}

// archivePlatforms reads the platform parameters of save and load: ignored
// before API 1.48, several only since 1.52.
func archivePlatforms(ctx context.Context, r *http.Request) ([]ocispec.Platform, error) {
	v := server.APIVersion(ctx)
	if versions.LessThan(v, "1.48") {
		return nil, nil
	}
	list, err := httputils.DecodePlatforms(r.Form["platform"])
	if err != nil {
		return nil, err
	}
	if len(list) > 1 && versions.LessThan(v, "1.52") {
		return nil, errdefs.ErrInvalidArgument.WithMessage("multiple platform parameters are not supported in this API version; use API version 1.52 or later")
	}
	return list, nil
}

// lazyWriter sends the status and content type with the first byte, so an
// error before it is still a plain HTTP error; it flushes every write.
type lazyWriter struct {
	w           http.ResponseWriter
	contentType string
	started     bool
}

func (l *lazyWriter) Write(p []byte) (int, error) {
	if !l.started {
		l.w.Header().Set("Content-Type", l.contentType)
		l.w.WriteHeader(http.StatusOK)
		l.started = true
	}
	n, err := l.w.Write(p)
	if f, ok := l.w.(http.Flusher); ok {
		f.Flush()
	}
	return n, err
}
