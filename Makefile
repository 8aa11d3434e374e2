# scim-operator. The two commands a newcomer needs: `make dev` and `make test`.

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

LOCALBIN ?= $(CURDIR)/bin
CONTROLLER_GEN_VERSION ?= v0.23.0
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen-$(CONTROLLER_GEN_VERSION)
# The folder holding kube-apiserver and etcd, built once and cached outside the clone.
ENVTEST_ASSETS = $(shell hack/envtest-binaries.sh)
GO_TEST_FLAGS ?= -race -count=1
# The Go of go.mod's toolchain line (patched standard library), fetched through the module proxy
# when the installed Go is older; a machine that pins GOTOOLCHAIN=local in its go env would
# otherwise build with whatever it has.
export GOTOOLCHAIN ?= auto

.PHONY: help
help: ## Show the targets.
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z_-]+:.*##/ {printf "  %-20s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

##@ Run

.PHONY: dev
dev: manifests ## Run a local control plane, the operator and the SCIM endpoint; prints URL and token.
	go build -o $(LOCALBIN)/dev ./cmd/dev
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" exec $(LOCALBIN)/dev

BENCH_FLAGS ?=

.PHONY: bench
bench: manifests envtest-assets ## Load test: the operator on a local control plane; table on stdout, bench-result.json (BENCH_FLAGS for the full size, see docs/benchmarks.md).
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go run ./cmd/bench $(BENCH_FLAGS)

.PHONY: chaos
chaos: manifests envtest-assets ## Fault injection under load (API server, etcd, a replica killed; network cut); see docs/reliability.md.
	CHAOS=full KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go test -count=1 -timeout=30m -v -run '^TestChaos$$' ./test/chaos

.PHONY: dev-clean
dev-clean: ## Forget the data `make dev` keeps in .dev/.
	rm -rf .dev

##@ Build and test

.PHONY: test
test: manifests generate vet envtest-assets ## Unit and envtest integration tests with the race detector, then a short fuzz run.
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go test $(GO_TEST_FLAGS) ./...
	$(MAKE) --no-print-directory fuzz

# Every fuzz target, each for FUZZTIME. Crashers are kept in testdata/fuzz and replayed by go test.
# A count, not a duration: with a duration, Go 1.26's fuzz coordinator can report its own
# deadline as a failure ("context deadline exceeded", no crasher; golang/go#75804).
FUZZTIME ?= 20000x
FUZZ_TARGETS = $(shell grep -rl --include='*_test.go' '^func Fuzz' api internal scimserver 2>/dev/null | xargs -r grep -ho '^func Fuzz[A-Za-z0-9_]*' | sed 's/^func //' | sort -u)

.PHONY: fuzz
fuzz: ## Run each fuzz target briefly (FUZZTIME, default 20000x: executions).
	@for target in $(FUZZ_TARGETS); do \
		pkg=$$(grep -rl --include='*_test.go' "^func $$target(" api internal scimserver | head -1 | xargs dirname); \
		echo "fuzz $$target ($$pkg, $(FUZZTIME))"; \
		go test -run='^$$' -fuzz="^$$target\$$" -fuzztime=$(FUZZTIME) ./$$pkg > .fuzz.log 2>&1 || { cat .fuzz.log; rm -f .fuzz.log; exit 1; }; \
	done; rm -f .fuzz.log

.PHONY: lint
lint: vulncheck ## Static checks beyond vet: known vulnerabilities in the code's call graph.

.PHONY: vulncheck
vulncheck: ## govulncheck against Go's vulnerability database (a pinned copy, indexed once and cached).
	hack/govulncheck.sh ./...

.PHONY: build
build: generate ## Build the operator binary.
	go build -o $(LOCALBIN)/manager ./cmd/manager

.PHONY: vet
vet: ## go vet (also the image builder, a module of its own), and gofmt must have nothing to change.
	go vet ./...
	cd hack/helm/image && go vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); test -z "$$unformatted" || { echo "gofmt needed: $$unformatted"; exit 1; }

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate CRDs and RBAC from the Go types and markers, and the chart's copies of them.
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd paths="./..." output:crd:artifacts:config=config/crd/bases
	hack/helm/sync-crds.sh

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate DeepCopy methods.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./..."

.PHONY: verify-generated
verify-generated: manifests generate ## Fail when generated files differ from what is committed.
	@git diff --exit-code -- api config charts || { echo "generated files are stale: run 'make manifests generate' and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- api config charts)" || { git status --porcelain -- api config charts; echo "generated files are not committed"; exit 1; }

##@ Package

HELM = $(shell hack/helm/helm.sh)
IMAGE_TAG ?= dev

.PHONY: helm-lint
helm-lint: ## Lint the Helm chart (helm is built once from its Go module, cached outside the clone).
	$(HELM) lint --strict charts/scim-operator

.PHONY: helm-test
helm-test: envtest-assets ## The chart against a real API server, and the image build.
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go test -count=1 -v ./test/helm/

.PHONY: image
image: ## Build the image into the OCI layout bin/image without Docker (IMAGE_TAG; IMAGE_PUSH=<ref> also pushes).
	cd hack/helm/image && go run . -root "$(CURDIR)" -o "$(LOCALBIN)/image" -tag scim-operator:$(IMAGE_TAG) $(if $(IMAGE_PUSH),-push $(IMAGE_PUSH))

.PHONY: docker-build
docker-build: ## Build the image with Docker, where a daemon and gcr.io are reachable.
	docker build -t scim-operator:$(IMAGE_TAG) .

.PHONY: envtest-assets
envtest-assets: ## Build (once) the kube-apiserver and etcd that tests and `make dev` use.
	@hack/envtest-binaries.sh >/dev/null

$(CONTROLLER_GEN):
	@mkdir -p $(LOCALBIN)
	GOBIN=$(LOCALBIN) go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_GEN_VERSION)
	mv $(LOCALBIN)/controller-gen $(CONTROLLER_GEN)
