package image

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/client/pkg/versions"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/api/server"
	"github.com/berth-dev/berth/api/server/httputils"
	"github.com/berth-dev/berth/api/types/backend"
	"github.com/berth-dev/berth/api/types/filters"
)

func (ir *imageRouter) postImagesCreate(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	img := r.Form.Get("fromImage")
	if img == "" && r.Form.Get("fromSrc") != "" {
		return ir.postImagesImport(ctx, w, r)
	}
	if img == "" {
		return errdefs.ErrInvalidArgument.WithMessage("fromImage or fromSrc is required")
	}
	platform, err := httputils.DecodePlatform(r.Form["platform"])
	if err != nil {
		return err
	}
	opts := backend.PullOptions{
		Image:       strings.TrimSuffix(img, ":"),
		Tag:         r.Form.Get("tag"),
		Platform:    platform,
		Auth:        httputils.DecodeAuth(r.Header.Get("X-Registry-Auth")),
		MetaHeaders: metaHeaders(r.Header),
	}
	stream := httputils.NewProgressStream(ctx, w)
	if err := ir.backend.PullImage(ctx, opts, stream); err != nil {
		if !stream.Started() {
			return err
		}
		_ = stream.WriteError(err)
	}
	return nil
}

func metaHeaders(h http.Header) map[string][]string {
	out := map[string][]string{}
	for k, v := range h {
		if strings.HasPrefix(http.CanonicalHeaderKey(k), "X-Meta-") {
			out[k] = v
		}
	}
	return out
}

func (ir *imageRouter) getImagesJSON(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	f, err := filters.Parse(r.Form.Get("filters"))
	if err != nil {
		return err
	}
	if name := r.Form.Get("filter"); name != "" {
		f.Add("reference", name) // API < 1.41 legacy parameter
	}
	version := httputils.VersionFromContext(ctx)
	opts := backend.ListOptions{
		All:        httputils.BoolValue(r, "all"),
		Filters:    f,
		SharedSize: versions.GreaterThanOrEqualTo(version, "1.42") && httputils.BoolValue(r, "shared-size"),
		Manifests:  versions.GreaterThanOrEqualTo(version, "1.47") && httputils.BoolValue(r, "manifests"),
	}
	if versions.GreaterThanOrEqualTo(version, "1.54") && httputils.BoolValue(r, "identity") {
		if !opts.Manifests {
			return errdefs.ErrInvalidArgument.WithMessage("conflicting options: identity requires manifests=1")
		}
		opts.Identity = true
	}
	list, err := ir.backend.Images(ctx, opts)
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusOK, listResponse(version, list))
}

func (ir *imageRouter) getImagesByName(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	version := httputils.VersionFromContext(ctx)
	opts := backend.InspectOptions{
		Manifests: versions.GreaterThanOrEqualTo(version, "1.48") && httputils.BoolValue(r, "manifests"),
		Identity:  versions.GreaterThanOrEqualTo(version, "1.53"),
	}
	if versions.GreaterThanOrEqualTo(version, "1.49") {
		platform, err := httputils.DecodePlatform(r.Form["platform"])
		if err != nil {
			return err
		}
		opts.Platform = platform
	}
	if opts.Manifests && opts.Platform != nil {
		return errdefs.ErrInvalidArgument.WithMessage("conflicting options: manifests and platform options cannot both be set")
	}
	resp, err := ir.backend.ImageInspect(ctx, vars["name"], opts)
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusOK, inspectResponse(version, resp))
}

func (ir *imageRouter) getImagesHistory(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	var platform *ocispec.Platform
	if versions.GreaterThanOrEqualTo(httputils.VersionFromContext(ctx), "1.48") {
		p, err := httputils.DecodePlatform(r.Form["platform"])
		if err != nil {
			return err
		}
		platform = p
	}
	history, err := ir.backend.ImageHistory(ctx, vars["name"], platform)
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusOK, history)
}

func (ir *imageRouter) postImagesTag(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if err := ir.backend.TagImage(ctx, vars["name"], r.Form.Get("repo"), r.Form.Get("tag")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusCreated)
	return nil
}

func (ir *imageRouter) deleteImages(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	name := vars["name"]
	if strings.TrimSpace(name) == "" {
		return errdefs.ErrInvalidArgument.WithMessage("image name cannot be blank")
	}
	var plats []ocispec.Platform
	if versions.GreaterThanOrEqualTo(httputils.VersionFromContext(ctx), "1.50") {
		var err error
		if plats, err = httputils.DecodePlatforms(r.Form["platforms"]); err != nil {
			return err
		}
	}
	list, err := ir.backend.ImageDelete(ctx, name, backend.DeleteOptions{
		Force:     httputils.BoolValue(r, "force"),
		NoPrune:   httputils.BoolValue(r, "noprune"),
		Platforms: plats,
	})
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusOK, list)
}

func (ir *imageRouter) postImagesPrune(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	f, err := filters.Parse(r.Form.Get("filters"))
	if err != nil {
		return err
	}
	report, err := ir.backend.ImagesPrune(ctx, f)
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusOK, report)
}

func (ir *imageRouter) postImagesPush(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	opts := backend.PushOptions{
		Image:       vars["name"],
		Tag:         r.Form.Get("tag"),
		Auth:        httputils.DecodeAuth(r.Header.Get("X-Registry-Auth")),
		MetaHeaders: metaHeaders(r.Header),
	}
	// Clients before 1.46 may send a platform they meant for pulls: ignored.
	if versions.GreaterThanOrEqualTo(server.APIVersion(ctx), "1.46") {
		platform, err := httputils.DecodePlatform(r.Form["platform"])
		if err != nil {
			return err
		}
		opts.Platform = platform
	}
	stream := httputils.NewProgressStream(ctx, w)
	if err := ir.backend.PushImage(ctx, opts, stream); err != nil {
		if !stream.Started() {
			return err
		}
		_ = stream.WriteError(err)
	}
	return nil
}

func (ir *imageRouter) getImagesSearch(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	var limit int
	if v := r.Form.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid limit specified: %v", err))
		}
		if n < 0 {
			return errdefs.ErrInvalidArgument.WithMessage("invalid limit specified")
		}
		limit = n
	}
	f, err := filters.Parse(r.Form.Get("filters"))
	if err != nil {
		return err
	}
	// As for pulls, bad credentials are ignored: the search goes anonymous.
	res, err := ir.backend.SearchRegistryForImages(ctx, f, r.Form.Get("term"), limit, httputils.DecodeAuth(r.Header.Get("X-Registry-Auth")), metaHeaders(r.Header))
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusOK, res)
}
