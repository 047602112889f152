package layer

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
)

func TestExplainXattrError(t *testing.T) {
	inner := fmt.Errorf("failed to setxattr %q for key %q: %w", "/x/fs/etc/big", "user.big", syscall.ENOSPC)
	err := fmt.Errorf("failed to extract layer (tar sha256:1) to overlayfs as \"extract-1\": %w", inner)
	got := ExplainXattrError(err)
	if !strings.HasPrefix(got.Error(), `extended attribute "user.big" of /x/fs/etc/big in the image is too large`) ||
		!strings.Contains(got.Error(), "the disk is not full") || !errors.Is(got, syscall.ENOSPC) {
		t.Errorf("got %v", got)
	}
	full := fmt.Errorf("write /x/fs/file: %w", syscall.ENOSPC)
	if ExplainXattrError(full) != full {
		t.Error("a real full disk must keep its message")
	}
	if ExplainXattrError(nil) != nil {
		t.Error("nil")
	}
}
