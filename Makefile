# Every target does its own set-up: a fresh clone needs only `make demo` or `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml testbed/pyproject.toml requirements.lock 2>/dev/null | cksum | cut -d' ' -f1)

.PHONY: setup binaries prometheus demo test test-unit test-e2e test-docs test-reliability test-argocd bench lint api crds \
	cluster-up cluster-down clean argocd-deps argocd-up argocd-down image image-deps test-image

setup: $(STAMP)

$(STAMP):
	@command -v go >/dev/null || { echo "Go is needed to build the local control plane (see README.md)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	# the operator and, beside it, its test bed (a distribution of its own, never in the image)
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]' -e testbed
	rm -f $(VENV)/.installed-* && touch $@

demo: setup
	$(BIN)/python -m registry_testbed.demo $(if $(KEEP),--keep)

# The control-plane binaries are built (first use only) before pytest starts, so the long first
# build shows its progress here instead of counting against a test's timeout.
binaries: setup
	$(BIN)/registry-testbed cluster build
	$(BIN)/python -m registry_testbed.localcluster.tools  # helm and kstatus, for the packaging tests
	# Argo CD (about 10 minutes on 2 cores): its own health assessment of the health checks, and the
	# Argo CD tier
	$(BIN)/registry-testbed argocd build

# Prometheus and promtool from Debian's package (bookworm: 2.42.0): promtool checks and unit-tests the
# shipped alert rules, and the observability e2e test runs a real Prometheus.
prometheus:
	tools/apt-install.sh prometheus

test: setup lint binaries prometheus
	$(BIN)/pytest $(PYTEST_ARGS)

test-unit: setup binaries prometheus
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

test-e2e: setup binaries prometheus
	$(BIN)/pytest tests/e2e $(PYTEST_ARGS)

# The docs tier alone (part of `make test`): every example, command, reason and figure in README.md
# and docs/ checked against the code (docs/contributors/testing.md, "The docs tier").
test-docs: setup binaries prometheus
	$(BIN)/pytest -m docs tests/unit tests/e2e $(PYTEST_ARGS)

# Crash, fault and hostile-input suites; -rP prints the figures each test reports.
test-reliability: setup binaries
	$(BIN)/pytest tests/reliability -rP $(PYTEST_ARGS)

# Debian packages the Argo CD tier runs (installed when missing: CI starts from a clean machine as root).
ARGOCD_DEBS := redis-server git

argocd-deps:
	tools/apt-install.sh $(ARGOCD_DEBS)

# Argo CD (application-controller, repo-server, redis) on the local control plane, syncing the iris
# example from a git repository in .local/gitops-repo.
argocd-up: setup binaries argocd-deps
	$(BIN)/registry-testbed argocd up --state-dir .local

argocd-down: setup
	$(BIN)/registry-testbed argocd down --state-dir .local

# Argo CD syncing the examples from git against the local control plane and the operator; -rP prints
# the Application states observed, with timestamps.
test-argocd: setup binaries argocd-deps
	$(BIN)/pytest tests/argocd -rP $(PYTEST_ARGS)

# The operator image, built from the Dockerfile with podman (the base is made from Debian packages when
# the public python image cannot be pulled); `make image IMAGE=name:tag` names it.
IMAGE ?= sagemaker-registry-operator:0.1.0
IMAGE_DEBS := podman runc mmdebstrap

image-deps:
	tools/apt-install.sh $(IMAGE_DEBS)

image: image-deps
	tools/image/build.sh $(IMAGE)

# The operator run from the image (non-root, host network) against the local control plane and the
# embedded AWS; -rP prints the image size and the user it runs as.
test-image: setup binaries image
	IMAGE=$(IMAGE) $(BIN)/pytest tests/image -rP $(PYTEST_ARGS)

# The figures of docs/contributors/performance.md from one run (a private control plane, the embedded AWS, the
# operator, and the bare controller as the yardstick): 1,000 ModelVersions at 0 and 100 ms AWS latency
# and 10,000 at 100 ms, then 2,000 at SageMaker's rate limit (10 CreateModelPackage a second; about 7
# minutes of it), then 1,000 registry approvals over 10,000 versions through an event queue and through
# the resync alone (about 7 minutes), under 45 minutes on 2 cores; `make bench QUICK=1` runs the 1,000s
# (under 20). BENCH_ARGS="--phases limit" runs one phase.
bench: setup binaries
	$(BIN)/python tests/bench/bench.py $(if $(QUICK),--quick) $(BENCH_ARGS)

lint: setup
	$(BIN)/ruff check operator testbed tests
	$(BIN)/ruff format --check operator testbed tests
	$(BIN)/mypy

# The ModelVersion spec's AWS members from botocore's service model (after a botocore upgrade), then the CRDs.
api: setup
	$(BIN)/python -m registry_testbed.shape_codegen operator/registry_operator/api/package_shapes.py
	$(MAKE) crds

crds: setup
	$(BIN)/registry-operator crds --output crds --kustomization
	$(BIN)/registry-operator crds --output charts/sagemaker-registry-operator/crds
	$(BIN)/registry-testbed rbac

cluster-up: setup
	$(BIN)/registry-testbed cluster up --state-dir .local

cluster-down: setup
	$(BIN)/registry-testbed cluster down --state-dir .local

clean: cluster-down
	rm -rf $(VENV) .local
