# berth — build, test and demo. Run as root (berthd mounts overlayfs).
GO ?= go
BIN := $(CURDIR)/bin
BERTHD := $(BIN)/berthd
export BERTHD_BINARY := $(BERTHD)

# Build information `docker version` shows (Engine: Git commit, Built).
GIT_COMMIT ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
BUILD_TIME ?= $(shell date -u +%Y-%m-%dT%H:%M:%S.000000000+00:00)
LDFLAGS := -X github.com/berth-dev/berth/daemon.GitCommit=$(GIT_COMMIT) -X github.com/berth-dev/berth/daemon.BuildTime=$(BUILD_TIME)

# Installation (make install PREFIX=/usr DESTDIR=pkgroot): the binary and
# the systemd units in contrib/systemd.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system

.PHONY: all build demo test test-unit test-integration deps vendor-check bench bench-transfer faults fuzz clean install

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BERTHD) ./cmd/berthd
	$(GO) build -o $(BIN)/demo-registry ./hack/demo-registry

# Tools the tests need that Go modules cannot provide: the docker CLI,
# containerd for the remote-mode tests, bzip2 to write the bzip2 archives
# the import tests load, skopeo to write and read the archives of the
# save/load tests, tmux for the tests that read the CLI's screen, igzip
# (isal) and unpigz (pigz), the fast gzip decoders pulls use when present.
# Installed only when missing.
deps:
	@command -v docker >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io; }
	@command -v containerd >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq containerd; }
	@command -v bzip2 >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bzip2; }
	@command -v skopeo >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq skopeo; }
	@command -v tmux >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux; }
	@command -v unpigz >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pigz; }
	@command -v igzip >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq isal; }

# Fails when vendor/ is out of sync with go.mod ("inconsistent vendoring")
# or misses a package: builds use vendor/ only, with no module proxy.
vendor-check:
	GOFLAGS=-mod=vendor GOPROXY=off $(GO) build ./...
	GOFLAGS=-mod=vendor GOPROXY=off $(GO) vet ./...

demo: build
	@bash hack/demo.sh

test: deps vendor-check build
	$(GO) test -count=1 -timeout 40m -p 2 ./...

test-unit: build
	$(GO) test -count=1 ./api/... ./daemon/... ./distribution/... ./image/... ./layer/... ./testutil/...

test-integration: deps build
	$(GO) test -count=1 -timeout 40m -v ./integration/... ./integration-cli/...

# The fault suite with long loops (crashes, hostile registries and clients)
# and its figures; `make test` runs the same tests with few rounds.
faults: deps build
	@bash hack/faults.sh

# Each fuzz target for FUZZTIME (seeds alone run in `make test`).
FUZZTIME ?= 30s
fuzz:
	@for t in ./image/:FuzzNames ./image/:FuzzSelectManifest ./api/types/filters/:FuzzParse \
		./api/server/httputils/:FuzzDecodePlatform ./distribution/schema1/:FuzzParse; do \
		$(GO) test -run '^$$' -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME) -parallel 1 "$${t%%:*}" || exit 1; \
	done

bench: build
	@bash hack/bench/run.sh

# push / save / load against Debian's dockerd 20.10; figures in hack/bench/README.md.
bench-transfer: build
	@bash hack/bench/transfer.sh

install: build
	install -D -m 0755 $(BERTHD) $(DESTDIR)$(BINDIR)/berthd
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	sed 's|@BINDIR@|$(BINDIR)|g' contrib/systemd/berthd.service > $(DESTDIR)$(SYSTEMDUNITDIR)/berthd.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/berthd.service
	install -m 0644 contrib/systemd/berthd.socket $(DESTDIR)$(SYSTEMDUNITDIR)/berthd.socket

clean:
	rm -rf $(BIN)
