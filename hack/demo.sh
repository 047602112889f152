#!/usr/bin/env bash
# make demo: a local registry with sample images, a berthd on a temporary
# data root, and the real docker CLI pulling, saving, loading, importing and
# pushing through it. Everything started here is stopped on exit, including
# Ctrl-C. Works offline.
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

if ! command -v docker >/dev/null 2>&1; then
	echo "make demo needs the docker CLI: apt-get install docker.io (or make deps)" >&2
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
echo "==> save and load: an image out to a tar file and back in"
run docker save -o "$WORK/big.tar" "$REGISTRY/demo/big:latest"
run docker rmi "$REGISTRY/demo/big:latest"
run docker load -i "$WORK/big.tar"
run docker images

echo
echo "==> import: a root filesystem tarball becomes an image"
mkdir -p "$WORK/rootfs/bin"
printf '#!/bin/sh\necho "Hello from an imported image!"\n' >"$WORK/rootfs/bin/hello"
chmod 755 "$WORK/rootfs/bin/hello"
head -c $((16 << 20)) /dev/urandom >"$WORK/rootfs/data.bin"
run tar -C "$WORK/rootfs" -cf "$WORK/rootfs.tar" .
run docker import --change 'CMD ["/bin/hello"]' --message "imported by make demo" "$WORK/rootfs.tar" "$REGISTRY/demo/imported:v1"
run docker image inspect --format 'cmd={{.Config.Cmd}} comment={{.Comment}} layers={{len .RootFS.Layers}}' "$REGISTRY/demo/imported:v1"

echo
echo "==> push: images back to the registry under new names"
# The imported layer is new to the registry: it is uploaded, rate-limited
# like downloads, so in a terminal its bar moves. The loaded image's layers
# are in the registry already (demo/big): they are mounted, not uploaded.
run docker push "$REGISTRY/demo/imported:v1"
run docker tag "$REGISTRY/demo/big:latest" "$REGISTRY/demo/big-copy:v1"
run docker push "$REGISTRY/demo/big-copy:v1"

echo
echo "==> disk usage"
run docker system df
run docker system df -v
echo
echo "==> demo finished; stopping berthd and the registry"
