package distribution

import (
	"errors"
	"fmt"
	"testing"

	"github.com/containerd/errdefs"
)

func TestDedupeJoined(t *testing.T) {
	fetch := fmt.Errorf("failed commit on ref %q: %w", "layer-sha256:1", errdefs.ErrFailedPrecondition)
	var joined error
	for _, e := range []error{fetch, fetch, errors.New("aborted"), fetch} {
		joined = errors.Join(joined, e)
	}
	got := dedupeJoined(joined)
	if got.Error() != fetch.Error() || !errdefs.IsFailedPrecondition(got) {
		t.Errorf("got %q", got)
	}

	other := errors.New("failed to extract layer 2")
	got = dedupeJoined(errors.Join(fetch, other, fetch))
	if got.Error() != fetch.Error()+"\n"+other.Error() {
		t.Errorf("two distinct failures: %q", got)
	}
	if only := errors.New("aborted"); dedupeJoined(errors.Join(only)).Error() != "aborted" {
		t.Error("a lone aborted must stay")
	}
	wrapped := fmt.Errorf("%w: %w", fetch, fetch)
	if dedupeJoined(wrapped) != wrapped {
		t.Error("a fmt.Errorf with two %w is not a join")
	}
}
