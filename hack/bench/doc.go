// Package bench measures berthd's pull: throughput through the real CLI
// path (registry → berthd → overlayfs) and the daemon's peak memory. Run it
// with `make bench`, which puts the data root on a journaled ext4 loop mount
// (this machine's root filesystem has no journal and distorts file creation
// after large deletes).
package bench
