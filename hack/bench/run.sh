#!/usr/bin/env bash
# make bench: run the pull benchmarks with berthd's data roots on a journaled
# ext4 loop mount, then unmount and remove it.
set -euo pipefail
cd "$(dirname "$0")/../.."
WORK=$(mktemp -d /tmp/berth-bench.XXXXXX)
cleanup() {
	set +e
	mountpoint -q "$WORK/mnt" && umount -R "$WORK/mnt"
	rm -rf "$WORK"
}
trap cleanup EXIT
truncate -s 8G "$WORK/ext4.img"
mkfs.ext4 -q -F "$WORK/ext4.img"
mkdir "$WORK/mnt"
mount -o loop "$WORK/ext4.img" "$WORK/mnt"
BERTH_BENCH_ROOT="$WORK/mnt" go test -run '^$' -bench "${BENCH:-.}" -benchtime "${BENCHTIME:-5x}" ./hack/bench/
