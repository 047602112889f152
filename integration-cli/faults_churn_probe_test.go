package integrationcli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// What the churn test measures of berthd itself: goroutines, open files,
// leases, and the log lines that betray a fault.

// goroutines is the daemon's goroutine count, from the goroutine profile
// berthd serves with --debug.
func (e *imageEnv) goroutines() int {
	e.t.Helper()
	var n int
	if _, err := fmt.Sscanf(e.goroutineProfile(), "goroutine profile: total %d", &n); err != nil {
		e.t.Fatalf("goroutine profile (berthd needs --debug): %v", err)
	}
	return n
}

// goroutineProfile is the daemon's goroutines, grouped by stack.
func (e *imageEnv) goroutineProfile() string {
	e.t.Helper()
	client := e.d.HTTPClient()
	defer client.CloseIdleConnections()
	resp, err := client.Get("http://berthd/debug/pprof/goroutine?debug=1")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

// openFiles is the number of the daemon's open file descriptors.
func (e *imageEnv) openFiles() int {
	e.t.Helper()
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", e.d.PID()))
	if err != nil {
		e.t.Fatal(err)
	}
	return len(fds)
}

// settle waits (15 s at most) for the daemon's goroutines and open files
// to be at most the given numbers, and returns them.
func (e *imageEnv) settle(goroutines, files int) (int, int) {
	e.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		g, f := e.goroutines(), e.openFiles()
		if (g <= goroutines && f <= files) || time.Now().After(deadline) {
			return g, f
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// leaseCount counts the leases in berthd's metadata database, in every
// namespace; berthd must be stopped (it holds the database's lock).
func (e *imageEnv) leaseCount() int {
	e.t.Helper()
	db, err := bolt.Open(filepath.Join(e.d.DataRoot(), "containerd", "meta.db"), 0o600,
		&bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		e.t.Fatal(err)
	}
	defer db.Close()
	n := 0
	err = db.View(func(tx *bolt.Tx) error {
		v1 := tx.Bucket([]byte("v1"))
		if v1 == nil {
			return nil
		}
		return v1.ForEachBucket(func(ns []byte) error {
			leases := v1.Bucket(ns).Bucket([]byte("leases"))
			if leases == nil {
				return nil
			}
			return leases.ForEachBucket(func([]byte) error { n++; return nil })
		})
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// faultLines returns the daemon log lines that show a fault: a panic, a
// fatal error, or an error-level line (berthd logs every 5xx answer at
// error level).
func faultLines(logs string) []string {
	var out []string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, "panic") || strings.Contains(l, "fatal") || strings.Contains(l, "level=error") {
			out = append(out, l)
		}
	}
	return out
}
