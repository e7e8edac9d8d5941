# Every target does its own set-up: a fresh clone needs only `make demo` or `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml testbed/pyproject.toml requirements.lock 2>/dev/null | cksum | cut -d' ' -f1)

.PHONY: setup binaries prometheus demo test test-unit test-e2e test-reliability bench lint api crds cluster-up cluster-down clean

setup: $(STAMP)

$(STAMP):
	@command -v go >/dev/null || { echo "Go is needed to build the local control plane (see README)"; exit 1; }
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

# Prometheus and promtool from Debian's package: promtool checks and unit-tests the shipped alert rules,
# and the observability e2e test runs a real Prometheus. Installed when missing (as root, like CI).
PROMETHEUS_DEB := prometheus=2.42.0+ds-5+deb12u*
prometheus:
	@command -v promtool >/dev/null && command -v prometheus >/dev/null || { \
	  [ "$$(id -u)" = 0 ] || { echo "Prometheus is needed: apt-get install prometheus (as root)"; exit 1; }; \
	  echo "installing Debian's $(PROMETHEUS_DEB) (prometheus and promtool)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    '$(PROMETHEUS_DEB)' >/dev/null; }

test: setup lint binaries prometheus
	$(BIN)/pytest $(PYTEST_ARGS)

test-unit: setup binaries prometheus
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

test-e2e: setup binaries prometheus
	$(BIN)/pytest tests/e2e $(PYTEST_ARGS)

# Crash, fault and hostile-input suites; -rP prints the figures each test reports.
test-reliability: setup binaries
	$(BIN)/pytest tests/reliability -rP $(PYTEST_ARGS)

# DESIGN §8's performance figures from one run (a private control plane, the embedded AWS, the
# operator); `make bench QUICK=1` runs 100 and 1,000 instead of 1,000 and 10,000 ModelVersions.
bench: setup binaries
	$(BIN)/python tests/bench/bench.py $(if $(QUICK),--quick) $(BENCH_ARGS)

lint: setup
	$(BIN)/ruff check operator testbed tests
	$(BIN)/ruff format --check operator testbed tests

# The ModelVersion spec's AWS members from botocore's service model (after a botocore upgrade), then the CRDs.
api: setup
	$(BIN)/python -m registry_testbed.shape_codegen operator/registry_operator/api/package_shapes.py
	$(MAKE) crds

crds: setup
	$(BIN)/registry-operator crds --output crds
	$(BIN)/registry-operator crds --output charts/sagemaker-registry-operator/crds

cluster-up: setup
	$(BIN)/registry-testbed cluster up --state-dir .local

cluster-down: setup
	$(BIN)/registry-testbed cluster down --state-dir .local

clean: cluster-down
	rm -rf $(VENV) .local
