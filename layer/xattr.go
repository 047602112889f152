package layer

import (
	"errors"
	"fmt"
	"regexp"
	"syscall"
)

// setxattrFailure matches containerd's archive error for an extended
// attribute it could not set.
var setxattrFailure = regexp.MustCompile(`failed to setxattr "([^"]*)" for key "([^"]*)"`)

// ExplainXattrError rewords an extraction error caused by an extended
// attribute the data root's filesystem cannot hold: setxattr(2) answers
// ENOSPC ("no space left on device") when a value is larger than the space
// the filesystem keeps for attributes (one block on ext4), which users take
// for a full disk. Other errors are returned unchanged; the original stays
// wrapped.
func ExplainXattrError(err error) error {
	if err == nil || !errors.Is(err, syscall.ENOSPC) {
		return err
	}
	m := setxattrFailure.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	return fmt.Errorf("extended attribute %q of %s in the image is too large for the filesystem of the data root "+
		"(setxattr: no space left on device; the disk is not full): %w", m[2], m[1], err)
}
