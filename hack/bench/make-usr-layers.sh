#!/usr/bin/env bash
# Writes usr-like layers (tar of this machine's /usr directories, fixed
# mtime, sorted) for BenchmarkFloor and BenchmarkPullLayers, and prints the
# BERTH_BENCH_LAYERS value naming them. COMPRESS=gz (default: gzip -6) or
# COMPRESS=zstd (zstd -3, one thread, as ../shared/bench's usr:zstd).
set -euo pipefail
OUT=${1:-/tmp/berth-usr-layers}
COMPRESS=${COMPRESS:-gz}
case "$COMPRESS" in
gz) ext=tar.gz compress=(gzip -6) ;;
zstd) ext=tar.zst compress=(zstd -q -3 -T1 -c) ;;
*) echo "COMPRESS must be gz or zstd" >&2 && exit 1 ;;
esac
mkdir -p "$OUT"
files=()
for p in usr/bin usr/lib/python3.11 usr/share/perl usr/include; do
	[ -d "/$p" ] || continue
	f="$OUT/$(echo "$p" | tr / _).$ext"
	[ -s "$f" ] || tar -C / --sort=name --mtime=@0 -cf - "$p" 2>/dev/null | "${compress[@]}" >"$f"
	files+=("$f")
done
echo "${files[*]}"
