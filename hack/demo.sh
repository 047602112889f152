#!/usr/bin/env bash
# make demo: a local registry with sample images, a berthd on a temporary
# data root, and the real docker CLI pulling through it. Everything started
# here is stopped on exit, including Ctrl-C. Works offline.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/bin}
WORK=$(mktemp -d /tmp/berth-demo.XXXXXX)
REG_PID= BERTHD_PID=

cleanup() {
	set +e
	[ -n "$BERTHD_PID" ] && kill -TERM "$BERTHD_PID" 2>/dev/null && wait "$BERTHD_PID" 2>/dev/null
	[ -n "$REG_PID" ] && kill -TERM "$REG_PID" 2>/dev/null && wait "$REG_PID" 2>/dev/null
	umount -R "$WORK/root" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$(id -u)" != 0 ]; then
	echo "make demo needs root: berthd mounts overlayfs for the unpacked layers" >&2
	exit 1
fi

echo "==> starting a local registry with sample images"
"$BIN/demo-registry" >"$WORK/registry.out" 2>"$WORK/registry.log" &
REG_PID=$!
for _ in $(seq 600); do # generating the images takes a few seconds
	grep -q '^REGISTRY=' "$WORK/registry.out" 2>/dev/null && break
	kill -0 "$REG_PID" 2>/dev/null || { cat "$WORK/registry.log"; exit 1; }
	sleep 0.1
done
REGISTRY=$(sed -n 's/^REGISTRY=//p' "$WORK/registry.out")
[ -n "$REGISTRY" ] || { echo "registry did not start" >&2; cat "$WORK/registry.log"; exit 1; }
echo "    registry at $REGISTRY"

echo "==> starting berthd (data root $WORK/root)"
echo '{}' >"$WORK/daemon.json"
"$BIN/berthd" -H "unix://$WORK/berth.sock" --data-root "$WORK/root" \
	--config-file "$WORK/daemon.json" --pidfile "$WORK/berthd.pid" >"$WORK/berthd.log" 2>&1 &
BERTHD_PID=$!
export DOCKER_HOST="unix://$WORK/berth.sock" DOCKER_CONFIG="$WORK/docker-config"
for _ in $(seq 100); do
	docker version >/dev/null 2>&1 && break
	kill -0 "$BERTHD_PID" 2>/dev/null || { cat "$WORK/berthd.log"; exit 1; }
	sleep 0.1
done

run() { echo; echo "\$ $*"; "$@"; }
run docker version --format 'client {{.Client.Version}} (API {{.Client.APIVersion}}) -> server {{.Server.Platform.Name}} {{.Server.Version}} (API {{.Server.APIVersion}})'
run docker pull "$REGISTRY/demo/hello:latest"
# ~36 MiB in five layers, served at 8 MiB/s per layer: in a terminal each
# layer's line shows a moving bar, then "Pull complete".
run docker pull "$REGISTRY/demo/big:latest"
run docker pull "$REGISTRY/demo/multi:latest"
run docker pull --platform linux/arm64 "$REGISTRY/demo/multi:latest"
run docker images
run docker image inspect --format '{{.Id}} {{.Os}}/{{.Architecture}} layers={{len .RootFS.Layers}} cmd={{.Config.Cmd}}' "$REGISTRY/demo/hello:latest"
run docker image history "$REGISTRY/demo/hello:latest"
echo
echo "==> demo finished; stopping berthd and the registry"
