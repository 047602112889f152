# berth — build, test and demo. Run as root (berthd mounts overlayfs).
GO ?= go
BIN := $(CURDIR)/bin
BERTHD := $(BIN)/berthd
export BERTHD_BINARY := $(BERTHD)

.PHONY: all build demo test test-unit test-integration deps bench clean

all: build

build:
	$(GO) build -o $(BERTHD) ./cmd/berthd
	$(GO) build -o $(BIN)/demo-registry ./hack/demo-registry

# Tools the tests need that Go modules cannot provide: the docker CLI and,
# for the remote-mode tests, containerd; skopeo writes and reads the archives
# of the save/load tests. Installed only when missing.
deps:
	@command -v docker >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io; }
	@command -v containerd >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq containerd; }
	@command -v skopeo >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq skopeo; }

demo: build
	@bash hack/demo.sh

test: deps build
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 40m -p 2 ./...

test-unit: build
	$(GO) test -count=1 ./api/... ./daemon/... ./distribution/... ./image/... ./layer/... ./testutil/...

test-integration: deps build
	$(GO) test -count=1 -timeout 40m -v ./integration/... ./integration-cli/...

bench: build
	@bash hack/bench/run.sh

clean:
	rm -rf $(BIN)
