# berth — build, test and demo. Run as root (berthd mounts overlayfs).
GO ?= go
BIN := $(CURDIR)/bin
BERTHD := $(BIN)/berthd
export BERTHD_BINARY := $(BERTHD)

.PHONY: all build demo test test-unit test-integration deps bench faults fuzz clean

all: build

build:
	$(GO) build -o $(BERTHD) ./cmd/berthd
	$(GO) build -o $(BIN)/demo-registry ./hack/demo-registry

# Tools the tests need that Go modules cannot provide: the docker CLI and,
# for the remote-mode tests, containerd. Installed only when missing.
deps:
	@command -v docker >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io; }
	@command -v containerd >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq containerd; }

demo: build
	@bash hack/demo.sh

test: deps build
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 40m -p 2 ./...

test-unit: build
	$(GO) test -count=1 ./api/... ./daemon/... ./distribution/... ./image/... ./testutil/...

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

clean:
	rm -rf $(BIN)
