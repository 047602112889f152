package daemon

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/containerd/v2/pkg/atomicfile"
	"github.com/google/uuid"
)

// engineIDFile holds the daemon's ID in the data root, as dockerd's
// engine-id does in its own.
const engineIDFile = "engine-id"

// loadOrCreateEngineID returns the ID kept in root's engine-id file, or
// makes one (a random UUID, as dockerd's) and keeps it there on first
// start: /info, daemon events and the metrics name the same daemon across
// restarts, and two data roots are two daemons.
func loadOrCreateEngineID(root string) (string, error) {
	path := filepath.Join(root, engineIDFile)
	data, err := os.ReadFile(path)
	if err == nil {
		if id := strings.TrimSpace(string(data)); id != "" {
			return id, nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("failed to read the engine ID: %w", err)
	}
	id := uuid.NewString()
	f, err := atomicfile.New(path, 0o600)
	if err != nil {
		return "", fmt.Errorf("failed to save the engine ID: %w", err)
	}
	if _, err := f.Write([]byte(id)); err != nil {
		_ = f.Cancel()
		return "", fmt.Errorf("failed to save the engine ID: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("failed to save the engine ID: %w", err)
	}
	return id, nil
}
