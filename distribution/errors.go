package distribution

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/containerd/containerd/v2/core/remotes/docker"
	remoteerrors "github.com/containerd/containerd/v2/core/remotes/errors"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/layer"
)

// TranslatePullError turns containerd's pull errors into the messages and
// error classes dockerd gives users.
func TranslatePullError(err error, ref reference.Named) error {
	if err == nil {
		return nil
	}
	err = dedupeJoined(err)
	if xerr := layer.ExplainXattrError(err); xerr != err {
		return xerr
	}
	if errors.Is(err, docker.ErrInvalidAuthorization) {
		if strings.Contains(err.Error(), "no basic auth credentials") {
			return err
		}
		return errdefs.ErrNotFound.WithMessage(fmt.Sprintf(
			"pull access denied for %s, repository does not exist or may require 'docker login'", reference.FamiliarName(ref)))
	}
	return translateRegistryError(err)
}

// PlatformNotFound is dockerd's error for an index with no manifest for p.
func PlatformNotFound(p ocispec.Platform, err error) error {
	return errdefs.ErrNotFound.WithMessage(fmt.Sprintf(
		"no matching manifest for %s in the manifest list entries: %v", platforms.FormatAll(p), err))
}

// translateRegistryError decodes a registry's errors[] body into
// "error from registry: <message> - <detail>" with the mapped class, as
// dockerd. Without a decodable body the error keeps its text and gets the
// class of the HTTP status.
func translateRegistryError(err error) error {
	var unexpected remoteerrors.ErrUnexpectedStatus
	hasStatus := errors.As(err, &unexpected)
	var derrs docker.Errors
	if !errors.As(err, &derrs) {
		var derr docker.Error
		switch {
		case hasStatus:
			// docker.Errors decodes the whole {"errors":[…]} body.
			if json.Unmarshal(unexpected.Body, &derrs) == nil && len(derrs) > 0 {
				break
			}
			if legacy := legacyTokenError(unexpected); legacy != nil {
				return legacy
			}
			return classifyStatus(err, unexpected.StatusCode)
		case errors.As(err, &derr):
			derrs = docker.Errors{derr}
		default:
			return err
		}
	}
	var msgs []string
	var class error
	for _, e := range derrs {
		var derr docker.Error
		var code docker.ErrorCode
		switch {
		case errors.As(e, &derr):
		case errors.As(e, &code):
			// An entry without detail whose message is empty or the
			// code's own decodes as the bare code.
			derr = docker.Error{Code: code}
		default:
			msgs = append(msgs, e.Error())
			continue
		}
		msg := derr.Message
		if msg == "" {
			msg = derr.Code.Message()
		}
		// dockerd appends the detail only when it is text; structured
		// details (e.g. the access list of an UNAUTHORIZED) are noise.
		if s, ok := derr.Detail.(string); ok && s != "" {
			msg = fmt.Sprintf("%s - %s", msg, s)
		}
		msgs = append(msgs, msg)
		if class == nil {
			class = classForCode(derr.Code)
		}
	}
	msg := "error from registry: " + strings.Join(msgs, "\n")
	if class == nil {
		return classifyStatus(errors.New(msg), unexpected.StatusCode)
	}
	return withMessage(class, msg)
}

// legacyTokenError reads the old {"details": "…"} body some registries and
// token servers send with 401 and 403, as dockerd does.
func legacyTokenError(e remoteerrors.ErrUnexpectedStatus) error {
	if e.StatusCode != http.StatusUnauthorized && e.StatusCode != http.StatusForbidden {
		return nil
	}
	var body struct {
		Details string `json:"details"`
	}
	if json.Unmarshal(e.Body, &body) != nil || body.Details == "" {
		return nil
	}
	if e.StatusCode == http.StatusUnauthorized {
		return errdefs.ErrUnauthenticated.WithMessage(fmt.Sprintf("%s - %s", docker.ErrorCodeUnauthorized.Message(), body.Details))
	}
	return errdefs.ErrPermissionDenied.WithMessage(fmt.Sprintf("%s - %s", docker.ErrorCodeDenied.Message(), body.Details))
}

func classForCode(code docker.ErrorCode) error {
	switch code {
	case docker.ErrorCodeUnsupported:
		return errdefs.ErrNotImplemented
	case docker.ErrorCodeUnauthorized:
		return errdefs.ErrUnauthenticated
	case docker.ErrorCodeDenied:
		return errdefs.ErrPermissionDenied
	case docker.ErrorCodeUnavailable:
		return errdefs.ErrUnavailable
	case docker.ErrorCodeTooManyRequests:
		return errdefs.ErrResourceExhausted
	}
	return nil
}

// classifyStatus keeps the message and gives an HTTP status its class. A
// 401 without a registry error body (basic auth refusing a password) stays
// unclassified, as with dockerd: the CLI answers a 401 from the daemon with
// a credentials prompt, which fails without a terminal and hides the cause.
func classifyStatus(err error, status int) error {
	switch status {
	case 403:
		return withMessage(errdefs.ErrPermissionDenied, err.Error())
	case 404:
		return withMessage(errdefs.ErrNotFound, err.Error())
	case 429:
		return withMessage(errdefs.ErrResourceExhausted, err.Error())
	case 503:
		return withMessage(errdefs.ErrUnavailable, err.Error())
	}
	return err
}

// withMessage gives class a new message, keeping the class for errdefs.Is*.
func withMessage(class error, msg string) error {
	if m, ok := class.(interface{ WithMessage(string) error }); ok {
		return m.WithMessage(msg)
	}
	return fmt.Errorf("%s: %w", msg, class)
}
