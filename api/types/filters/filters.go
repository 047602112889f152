// Package filters parses the "filters" query parameter of the Engine API:
// JSON of the form {"key":{"value":true}} (or the legacy {"key":["value"]}).
package filters

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/containerd/containerd/v2/pkg/labels"
	"github.com/containerd/errdefs"

	"github.com/berth-dev/berth/api/types/timestamp"
)

// Args is a parsed filter set: key → set of values.
type Args map[string]map[string]bool

// Parse decodes the filters parameter. Empty input is an empty set.
func Parse(s string) (Args, error) {
	args := Args{}
	if strings.TrimSpace(s) == "" {
		return args, nil
	}
	if err := json.Unmarshal([]byte(s), &args); err == nil {
		return args, nil
	}
	var legacy map[string][]string
	if err := json.Unmarshal([]byte(s), &legacy); err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid filter: %v", err))
	}
	for k, vs := range legacy {
		for _, v := range vs {
			args.Add(k, v)
		}
	}
	return args, nil
}

// Add adds a value for key.
func (a Args) Add(key, value string) {
	if a[key] == nil {
		a[key] = map[string]bool{}
	}
	a[key][value] = true
}

// Values returns the values of key, sorted.
func (a Args) Values(key string) []string {
	var out []string
	for v := range a[key] {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// Has reports whether key is present.
func (a Args) Has(key string) bool { return len(a[key]) > 0 }

// Validate refuses keys not in accepted, with dockerd's message.
func (a Args) Validate(accepted ...string) error {
	ok := map[string]bool{}
	for _, k := range accepted {
		ok[k] = true
	}
	for k := range a {
		if !ok[k] {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid filter '%s'", k))
		}
	}
	return nil
}

// Bool reads a boolean filter ("true"/"1" or "false"/"0"); ok is false when
// the key is absent. Several different values, or another value, are refused.
func (a Args) Bool(key string) (value, ok bool, err error) {
	vals := a.Values(key)
	if len(vals) == 0 {
		return false, false, nil
	}
	if len(vals) > 1 {
		return false, false, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid filter '%s': got more than one value", key))
	}
	switch strings.ToLower(vals[0]) {
	case "true", "1":
		return true, true, nil
	case "false", "0":
		return false, true, nil
	}
	return false, false, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid filter '%s=%s'", key, vals[0]))
}

// Until reads the until values (durations, dates or Unix timestamps,
// relative to now) and returns the earliest, or nil when there is none. A
// value that is none of those is refused, naming it.
func (a Args) Until(now time.Time) (*time.Time, error) {
	var until *time.Time
	for _, v := range a.Values("until") {
		t, err := timestamp.Parse(v, now)
		if err != nil {
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid filter 'until=%s': %v", v, err))
		}
		if until == nil || t.Before(*until) {
			until = &t
		}
	}
	return until, nil
}

// ValidateLabels refuses a value of the label filters keys ("k" or "k=v")
// that is not a valid label.
func (a Args) ValidateLabels(keys ...string) error {
	for _, key := range keys {
		for _, v := range a.Values(key) {
			k, val, _ := strings.Cut(v, "=")
			if err := labels.Validate(k, val); err != nil {
				return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid filter '%s=%s': %v", key, v, err))
			}
		}
	}
	return nil
}

// MatchLabels reports whether labels satisfy every value of key, each
// "k" (label present) or "k=v" (label equals v).
func (a Args) MatchLabels(key string, labels map[string]string) bool {
	for _, cond := range a.Values(key) {
		k, v, hasValue := strings.Cut(cond, "=")
		got, present := labels[k]
		if !present || (hasValue && got != v) {
			return false
		}
	}
	return true
}

// MatchAnyLabel reports whether labels satisfy at least one value of key.
func (a Args) MatchAnyLabel(key string, labels map[string]string) bool {
	for _, cond := range a.Values(key) {
		k, v, hasValue := strings.Cut(cond, "=")
		if got, present := labels[k]; present && (!hasValue || got == v) {
			return true
		}
	}
	return false
}
