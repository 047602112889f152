package registryapi

import (
	"errors"

	"github.com/containerd/containerd/v2/core/remotes/docker"
)

// OnHosts calls fn on each host with capability, in order (mirrors first, as
// containerd lists them), until one succeeds or fails with an error marked
// by Final. It returns the last failure, or none when no host has the
// capability.
func OnHosts(hosts []docker.RegistryHost, capability docker.HostCapabilities, none error, fn func(docker.RegistryHost) error) error {
	lastErr := none
	for _, h := range hosts {
		if h.Capabilities&capability == 0 {
			continue
		}
		err := fn(h)
		if err == nil {
			return nil
		}
		var final finalError
		if errors.As(err, &final) {
			return final.err
		}
		lastErr = err
	}
	return lastErr
}

// Final marks an error of an OnHosts callback that no other host can change
// (a refused login): OnHosts returns it at once.
func Final(err error) error { return finalError{err} }

type finalError struct{ err error }

func (e finalError) Error() string { return e.err.Error() }
func (e finalError) Unwrap() error { return e.err }
