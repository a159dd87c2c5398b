# reportgate — the two commands a newcomer needs are `make demo` and `make test`.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: demo test build bench bench-go lint deps routes contract-spec clean

## demo: the simulator, embedded Redis, the gateway and a walk-through to paste
demo: build
	bin/reportgate demo

## test: install redis-server if missing, then vet and run every test with -race
test: deps
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

## deps: what the tests need (redis-server from the system packages)
deps:
	@bash scripts/install-test-deps.sh

## build: static binaries in bin/
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/ ./cmd/reportgate ./cmd/ledgersim

## bench: the load harness, gateway vs nginx proxy_pass vs the direct origin (and the list route over
## TLS: the gateway ending TLS vs nginx ending TLS, reused connections and full handshakes; and with the
## response cache: the gateway's --upstream-cache-ttl 2s vs nginx's proxy_cache 2s), pinned to 2 CPUs
## (about 30 minutes; installs wrk, nginx and redis-server with apt-get when missing, as root or
## through sudo). ARGS go to the driver, e.g. make bench ARGS='-rounds 3'; BASE=<rev> adds that
## revision's gateway. Results: benchmarks/out/<time>/summary.md.
bench:
	BASE='$(BASE)' bash benchmarks/load/run.sh $(ARGS)

## bench-go: Go micro-benchmarks of every hot-path step (benchmarks/, proxy/); a few minutes,
## needs only Go and redis-server. Compare two revisions with benchstat (benchmarks/RESULTS.md).
bench-go: deps
	$(GO) test -run '^$$' -bench . -benchmem ./benchmarks/... ./proxy/

## lint: gofmt, go vet, staticcheck
lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt: run gofmt -w on the files above'; exit 1; }
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

## routes: regenerate internal/spec/routes.json from the reference spec
routes:
	python3 scripts/gen-routes.py

## contract-spec: regenerate internal/contract/openapi.json (the spec without its prose) from the reference spec
contract-spec:
	python3 scripts/gen-openapi.py

clean:
	rm -rf bin
