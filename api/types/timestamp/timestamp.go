// Package timestamp reads the time values of the Engine API: the since and
// until of GET /events and the until filter of image list and prune.
package timestamp

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// errInvalid is wrapped by the callers into their own messages.
var errInvalid = errors.New("not a duration, a date or a Unix timestamp")

// dateLayouts are the date forms dockerd's timestamp parser accepts, tried
// in local time when no zone is given.
var dateLayouts = []string{
	time.RFC3339Nano,
	time.RFC3339,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02T15",
	"2006-01-02",
}

// Parse reads value relative to now: a Go duration ("10m", "24h": that long
// ago), a date ("2006-01-02", RFC 3339, local time when no zone is given),
// or Unix seconds with an optional fraction ("1700000000.5", as the docker
// CLI sends them). "0" is the Unix epoch, not a duration of nothing, as in
// dockerd: `docker events --since 0` asks for every event kept. The error
// names none of the caller's context.
func Parse(value string, now time.Time) (time.Time, error) {
	v := strings.TrimSpace(value)
	if d, err := time.ParseDuration(v); err == nil && v != "0" {
		return now.Add(-d), nil
	}
	for _, layout := range dateLayouts {
		if t, err := time.ParseInLocation(layout, v, time.Local); err == nil {
			return t, nil
		}
	}
	secStr, fracStr, hasFrac := strings.Cut(v, ".")
	sec, err := strconv.ParseInt(secStr, 10, 64)
	if err != nil || (hasFrac && fracStr == "") {
		return time.Time{}, errInvalid
	}
	var nsec int64
	if hasFrac {
		if len(fracStr) > 9 {
			fracStr = fracStr[:9]
		}
		fracStr += strings.Repeat("0", 9-len(fracStr))
		if nsec, err = strconv.ParseInt(fracStr, 10, 64); err != nil {
			return time.Time{}, errInvalid
		}
	}
	return time.Unix(sec, nsec), nil
}
