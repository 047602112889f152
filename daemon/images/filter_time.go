package images

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/errdefs"
)

// parseFilterTime reads a filter time value relative to now: a Go duration
// ("10m", "24h": that long ago), a date ("2006-01-02", RFC 3339, local time
// when no zone is given), or Unix seconds with an optional fraction
// ("1700000000.5").
func parseFilterTime(key, value string, now time.Time) (time.Time, error) {
	v := strings.TrimSpace(value)
	if d, err := time.ParseDuration(v); err == nil {
		return now.Add(-d), nil
	}
	// The date forms dockerd's timestamp parser accepts.
	layouts := []string{
		time.RFC3339Nano,
		time.RFC3339,
		"2006-01-02T15:04:05.999999999",
		"2006-01-02T15:04:05",
		"2006-01-02T15:04",
		"2006-01-02T15",
		"2006-01-02",
	}
	for _, layout := range layouts {
		if t, err := time.ParseInLocation(layout, v, time.Local); err == nil {
			return t, nil
		}
	}
	secStr, fracStr, hasFrac := strings.Cut(v, ".")
	sec, err := strconv.ParseInt(secStr, 10, 64)
	if err == nil && (!hasFrac || fracStr != "") {
		var nsec int64
		if hasFrac {
			if len(fracStr) > 9 {
				fracStr = fracStr[:9]
			}
			fracStr += strings.Repeat("0", 9-len(fracStr))
			nsec, err = strconv.ParseInt(fracStr, 10, 64)
		}
		if err == nil {
			return time.Unix(sec, nsec), nil
		}
	}
	return time.Time{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(
		"invalid filter '%s=%s': not a duration, a date or a Unix timestamp", key, value))
}
