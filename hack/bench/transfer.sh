#!/usr/bin/env bash
# make bench-transfer: push / save / load of a ~300 MB image, berthd against
# Debian's dockerd 20.10, on the same machine, to the same registry; and
# berthd's peak RSS while saving a ~1 GB image.
#
# Both daemons keep their data on a journaled ext4 loop fs; the registry
# (hack/demo-registry, unthrottled) keeps its storage on tmpfs. Each run of
# each daemon starts from a cleared store:
#   1. start the daemon, docker load the generated archive (untimed),
#   2. timed: docker push to a repository of its own (nothing to mount),
#   3. timed: docker save -o FILE (on the loop fs),
#   4. stop, clear the store, start again, drop caches,
#      timed: docker load -i FILE (the file it saved itself).
# Settings (environment): N (3), PORT (5200), LOOP_GB (10), DROP_CACHES (1),
# BERTHD (bin/berthd), DOCKER_CLI (/usr/local/bin/docker).
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-3} PORT=${PORT:-5200} LOOP_GB=${LOOP_GB:-10} DROP_CACHES=${DROP_CACHES:-1}
BERTHD=$(realpath "${BERTHD:-bin/berthd}")
DOCKER_CLI=${DOCKER_CLI:-/usr/local/bin/docker}
REG=127.0.0.1:$PORT
WORK="" LOOPDEV="" REG_PID="" DPID=""
LOGS=$(mktemp -d /tmp/berth-transfer-logs.XXXXXX) # the daemons' and clients' logs, kept on failure

log() { printf '%s transfer: %s\n' "$(date -u +%T)" "$*" >&2; }
die() { log "$*"; exit 1; }

cleanup() {
	local rc=$?
	set +e
	trap - EXIT INT TERM
	[ -n "$DPID" ] && daemon_stop
	[ -n "$REG_PID" ] && { kill "$REG_PID" 2>/dev/null; wait "$REG_PID" 2>/dev/null; }
	if [ -n "$WORK" ]; then
		awk -v d="$WORK" 'index($2, d "/") == 1 { print $2 }' /proc/mounts | sort -r |
			while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
		[ -n "$LOOPDEV" ] && losetup -d "$LOOPDEV"
		rm -rf "$WORK"
	fi
	if [ "$rc" = 0 ]; then rm -rf "$LOGS"; else log "FAILED (rc=$rc); logs in $LOGS"; fi
	exit "$rc"
}

# ------------------------------------------------------------ daemons
# daemon_start berthd|dockerd: a fresh daemon on the loop fs, socket in $WORK/run.
daemon_start() {
	DAEMON=$1
	local run=$WORK/run/$1 root=$WORK/mnt/$1 i
	mkdir -p "$run" "$root"
	SOCK=unix://$run/docker.sock
	case $1 in
	berthd) "$BERTHD" --data-root "$root" -H "$SOCK" --insecure-registry "$REG" >>"$LOGS/berthd.log" 2>&1 & ;;
	dockerd)
		echo '{}' >"$run/daemon.json"
		dockerd --config-file "$run/daemon.json" --data-root "$root" --exec-root "$run/exec" \
			--pidfile "$run/dockerd.pid" -H "$SOCK" --insecure-registry "$REG" --storage-driver overlay2 \
			--bridge none --iptables=false --ip6tables=false --ip-masq=false >>"$LOGS/dockerd.log" 2>&1 &
		;;
	esac
	DPID=$!
	for i in $(seq 150); do
		dk version >/dev/null 2>&1 && return 0
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.2
	done
	die "$1 did not start; see $LOGS/$1.log"
}

# daemon_stop: stop it by PID (dockerd's containerd too), unmount and delete its store.
daemon_stop() {
	local kids i
	kids=$(pgrep -P "$DPID" || true)
	kill "$DPID" 2>/dev/null || true
	for i in $(seq 300); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$DPID" 2>/dev/null || true
	wait "$DPID" 2>/dev/null || true
	for i in $kids; do kill -KILL "$i" 2>/dev/null || true; done
	DPID=""
	awk -v d="$WORK/mnt/$DAEMON" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/mounts | sort -r |
		while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
	rm -rf "${WORK:?}/mnt/$DAEMON" "${WORK:?}/run/$DAEMON"
}

dk() { DOCKER_HOST=$SOCK "$DOCKER_CLI" "$@"; }

drop_caches() {
	sync -f "$WORK/mnt"
	[ "$DROP_CACHES" = 1 ] && echo 3 >/proc/sys/vm/drop_caches
	return 0
}

# timed OP CMD...: run CMD, append "daemon op seconds" to $WORK/raw.tsv.
timed() {
	local op=$1 t0 t1 us
	shift
	t0=$EPOCHREALTIME
	"$@" >>"$LOGS/$DAEMON-$op.log" 2>&1 || die "$DAEMON $op failed; see $LOGS/$DAEMON-$op.log"
	sync -f "$WORK/mnt"
	t1=$EPOCHREALTIME
	us=$((${t1/./} - ${t0/./}))
	printf '%s\t%s\t%d.%02d\n' "$DAEMON" "$op" $((us / 1000000)) $((us % 1000000 / 10000)) >>"$WORK/raw.tsv"
	log "$DAEMON $op: $(tail -n 1 "$WORK/raw.tsv" | cut -f3) s (load average $(cut -d' ' -f1-3 /proc/loadavg))"
}

# ------------------------------------------------------------ images
# make_archive OUT TAG GZIP DIR...: a docker-archive (manifest.json layout) of
# one layer per /DIR (sorted, fixed mtime); GZIP=1 compresses the layers.
make_archive() {
	local out=$1 tag=$2 gz=$3 d i=0 diffs="" layers="" sum cfg st=$WORK/mnt/stage
	shift 3
	rm -rf "$st" && mkdir -p "$st"
	for d in "$@"; do
		i=$((i + 1))
		mkdir "$st/l$i"
		tar -C / --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$st/l$i/layer.tar" "$d"
		sum=$(sha256sum "$st/l$i/layer.tar" | cut -d' ' -f1)
		if [ "$gz" = 1 ]; then pigz -6 -n "$st/l$i/layer.tar" && mv "$st/l$i/layer.tar.gz" "$st/l$i/layer.tar"; fi
		diffs+="${diffs:+,}\"sha256:$sum\"" layers+="${layers:+,}\"l$i/layer.tar\""
	done
	printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":[%s]}}' \
		"$diffs" >"$st/config.json"
	cfg=$(sha256sum "$st/config.json" | cut -d' ' -f1)
	mv "$st/config.json" "$st/$cfg.json"
	printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":[%s]}]' "$cfg" "$tag" "$layers" >"$st/manifest.json"
	tar -C "$st" -cf "$out" .
	rm -rf "$st"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# ------------------------------------------------------------ main
[ "$(id -u)" = 0 ] || die "run as root (mounts, daemons, drop_caches)"
[ -x "$BERTHD" ] || die "no berthd at $BERTHD (make build)"
command -v dockerd >/dev/null || {
	log "installing docker.io (dockerd 20.10)"
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends docker.io >&2
}
command -v pigz >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pigz >&2
WORK=$(mktemp -d /tmp/berth-transfer.XXXXXX)
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$WORK/run" "$WORK/mnt" "$WORK/reg"
: >"$WORK/raw.tsv"

log "loop fs ($LOOP_GB GiB, ext4 with journal) and registry"
truncate -s "${LOOP_GB}G" "$WORK/loop.img"
mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$WORK/loop.img"
LOOPDEV=$(losetup -f --show "$WORK/loop.img")
mount "$LOOPDEV" "$WORK/mnt"
mount -t tmpfs -o size=4G tmpfs "$WORK/reg"
go build -o "$WORK/demo-registry" ./hack/demo-registry
TMPDIR=$WORK/reg "$WORK/demo-registry" -addr "$REG" -rate 0 >"$LOGS/registry.out" 2>"$LOGS/registry.log" &
REG_PID=$!
for _ in $(seq 300); do grep -q REGISTRY= "$LOGS/registry.out" && break; kill -0 "$REG_PID" || die "registry died"; sleep 0.1; done

log "generating the images"
make_archive "$WORK/mnt/usr.tar" bench/usr:latest 1 usr/bin usr/include usr/lib/python3.11 usr/share/perl usr/lib/llvm-14
make_archive "$WORK/mnt/big.tar" bench/big:latest 0 usr/bin usr/lib/x86_64-linux-gnu
USR_MB=$(($(stat -c %s "$WORK/mnt/usr.tar") / 1000000)) BIG_MB=$(($(stat -c %s "$WORK/mnt/big.tar") / 1000000))
log "usr.tar $USR_MB MB (gzip layers), big.tar $BIG_MB MB (plain layers)"

for run in $(seq "$N"); do
	for d in berthd dockerd; do
		daemon_start "$d"
		dk load -i "$WORK/mnt/usr.tar" >>"$LOGS/$d-prepare.log"
		dk tag bench/usr:latest "$REG/bench/$d-$run:latest"
		drop_caches
		timed push dk push "$REG/bench/$d-$run:latest"
		drop_caches
		timed save dk save -o "$WORK/mnt/saved.tar" "$REG/bench/$d-$run:latest"
		printf '%s\tsaved-MB\t%d\n' "$d" $(($(stat -c %s "$WORK/mnt/saved.tar") / 1000000)) >>"$WORK/raw.tsv"
		daemon_stop
		daemon_start "$d"
		drop_caches
		timed load dk load -i "$WORK/mnt/saved.tar"
		daemon_stop
		rm -f "$WORK/mnt/saved.tar"
	done
done

log "berthd peak RSS while saving the $BIG_MB MB image"
daemon_start berthd
dk load -i "$WORK/mnt/big.tar" >>"$LOGS/berthd-prepare.log"
BEFORE=$(awk '/^VmHWM:/ { print $2 }' "/proc/$DPID/status")
echo 5 >"/proc/$DPID/clear_refs" # resets VmHWM to the current RSS
drop_caches
timed save-1g dk save -o "$WORK/mnt/big-saved.tar" bench/big:latest
HWM=$(awk '/^VmHWM:/ { print $2 }' "/proc/$DPID/status")
SAVED_MB=$(($(stat -c %s "$WORK/mnt/big-saved.tar") / 1000000))
daemon_stop

{
	echo "Transfer benchmark, $(date -u +'%F %H:%M UTC'); $(nproc) cores; load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "berthd $(git rev-parse --short HEAD); $(dockerd --version); client $("$DOCKER_CLI" --version)"
	echo "image: $USR_MB MB docker-archive, 5 gzip layers; N=$N, median (min–max) seconds, each op until sync -f returns"
	echo
	echo "| op | berthd | dockerd 20.10 | berthd / dockerd |"
	echo "|---|---|---|---|"
	for op in push save load; do
		for d in berthd dockerd; do
			vals=$(awk -v d=$d -v o=$op '$1 == d && $2 == o { print $3 }' "$WORK/raw.tsv")
			eval "m_$d=$(echo "$vals" | median)"
			eval "r_$d='$(echo "$vals" | sort -n | head -n 1)–$(echo "$vals" | sort -n | tail -n 1)'"
		done
		echo "| $op | $m_berthd ($r_berthd) | $m_dockerd ($r_dockerd) | $(awk -v a="$m_berthd" -v b="$m_dockerd" 'BEGIN { printf "%.2f", a / b }') |"
	done
	echo "| docker save's file, MB | $(awk '$1 == "berthd" && $2 == "saved-MB" { print $3; exit }' "$WORK/raw.tsv") |" \
		"$(awk '$1 == "dockerd" && $2 == "saved-MB" { print $3; exit }' "$WORK/raw.tsv") | |"
	echo
	echo "berthd saving bench/big ($BIG_MB MB archive loaded, $SAVED_MB MB saved): VmHWM $((HWM / 1024)) MiB during save" \
		"(peak $((BEFORE / 1024)) MiB during the load before it), $(awk '$2 == "save-1g" { print $3 }' "$WORK/raw.tsv") s"
	echo
	echo "raw:"
	sed 's/^/    /' "$WORK/raw.tsv"
} | tee /dev/stderr >"${RESULTS:-/dev/null}"
