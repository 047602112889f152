package registryapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/containerd/containerd/v2/core/remotes/docker"
	remoteerrors "github.com/containerd/containerd/v2/core/remotes/errors"
	"github.com/containerd/errdefs"
)

// StatusError decodes a registry's answer to a refused request (or any
// error carrying one, or docker.Error(s)) into "error from registry:
// <message> - <detail>" with the class of the registry's error code, as
// dockerd. Without a decodable errors[] body, the legacy {"details": …}
// body of a 401 or 403 is read; else the error keeps its text and gets the
// class of the HTTP status. Other errors are returned unchanged, so
// decoding twice changes nothing.
func StatusError(err error) error {
	var unexpected remoteerrors.ErrUnexpectedStatus
	hasStatus := errors.As(err, &unexpected)
	var derrs docker.Errors
	if !errors.As(err, &derrs) {
		var derr docker.Error
		switch {
		case hasStatus:
			if derrs = DecodeErrors(unexpected.Body); len(derrs) > 0 {
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

// DecodeErrors reads a registry's {"errors": […]} body; nil when body is
// not one.
func DecodeErrors(body []byte) docker.Errors {
	var derrs docker.Errors
	if json.Unmarshal(body, &derrs) != nil {
		return nil
	}
	return derrs
}

// LegacyDetails reads the old {"details": "…"} error body some registries
// and token servers send with 401 and 403; "" when body is not one.
func LegacyDetails(body []byte) string {
	var legacy struct {
		Details string `json:"details"`
	}
	if json.Unmarshal(body, &legacy) != nil {
		return ""
	}
	return legacy.Details
}

// legacyTokenError is dockerd's error for a legacy 401 or 403 body.
func legacyTokenError(e remoteerrors.ErrUnexpectedStatus) error {
	if e.StatusCode != http.StatusUnauthorized && e.StatusCode != http.StatusForbidden {
		return nil
	}
	details := LegacyDetails(e.Body)
	if details == "" {
		return nil
	}
	if e.StatusCode == http.StatusUnauthorized {
		return errdefs.ErrUnauthenticated.WithMessage(fmt.Sprintf("%s - %s", docker.ErrorCodeUnauthorized.Message(), details))
	}
	return errdefs.ErrPermissionDenied.WithMessage(fmt.Sprintf("%s - %s", docker.ErrorCodeDenied.Message(), details))
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
	case http.StatusForbidden:
		return withMessage(errdefs.ErrPermissionDenied, err.Error())
	case http.StatusNotFound:
		return withMessage(errdefs.ErrNotFound, err.Error())
	case http.StatusTooManyRequests:
		return withMessage(errdefs.ErrResourceExhausted, err.Error())
	case http.StatusServiceUnavailable:
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
