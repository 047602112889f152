package distribution

import (
	"errors"
	"strings"
)

// abortedLayer is containerd's unpacker error for a layer given up because
// an earlier one failed; it only echoes that failure.
const abortedLayer = "aborted"

// dedupeJoined reduces an errors.Join of per-layer errors (containerd's
// unpacker joins one error per layer, and layers waiting on a failed
// download all carry the same one) to its distinct errors, without the
// "aborted" echoes, so the user reads each failure once. Other errors are
// returned unchanged; errors.Is and errors.As still see every kept error.
func dedupeJoined(err error) error {
	if !isJoin(err) {
		return err
	}
	var flat []error
	var walk func(error)
	walk = func(e error) {
		if isJoin(e) {
			for _, c := range e.(interface{ Unwrap() []error }).Unwrap() {
				walk(c)
			}
			return
		}
		flat = append(flat, e)
	}
	walk(err)
	seen := map[string]bool{}
	var out []error
	for _, e := range flat {
		if e == nil || seen[e.Error()] {
			continue
		}
		seen[e.Error()] = true
		out = append(out, e)
	}
	if len(out) > 1 {
		kept := out[:0]
		for _, e := range out {
			if e.Error() != abortedLayer {
				kept = append(kept, e)
			}
		}
		out = kept
	}
	if len(out) == 1 {
		return out[0]
	}
	return errors.Join(out...)
}

// isJoin reports whether err is an errors.Join (its text is its parts'
// texts on separate lines), not a fmt.Errorf with several %w.
func isJoin(err error) bool {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return false
	}
	var msgs []string
	for _, e := range j.Unwrap() {
		if e != nil {
			msgs = append(msgs, e.Error())
		}
	}
	return len(msgs) > 0 && strings.Join(msgs, "\n") == err.Error()
}
