#!/usr/bin/env bash
# Writes usr-like gzip layers (tar of this machine's /usr directories, fixed
# mtime, sorted, gzip -6) for BenchmarkFloor and BenchmarkPullLayers, and
# prints the BERTH_BENCH_LAYERS value naming them.
set -euo pipefail
OUT=${1:-/tmp/berth-usr-layers}
mkdir -p "$OUT"
files=()
for p in usr/bin usr/lib/python3.11 usr/share/perl usr/include; do
	[ -d "/$p" ] || continue
	f="$OUT/$(echo "$p" | tr / _).tar.gz"
	[ -s "$f" ] || tar -C / --sort=name --mtime=@0 -cf - "$p" 2>/dev/null | gzip -6 >"$f"
	files+=("$f")
done
echo "${files[*]}"
