# The documented commands. `make run` and `make test` set everything up themselves.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.8
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
PY := $(CURDIR)/.venv/bin/python
SERVICES := discount payment cart catalog
PGCLUSTER := $(PY) -m harness.pgcluster run $(foreach s,$(SERVICES),--db $(s))

export PACT_DO_NOT_TRACK := true

# With JUNIT_DIR set (`.ci/run` sets reports/junit), every pytest run writes its JUnit XML
# there as $(JUNIT_DIR)/<name>.xml; scripts/junit_totals.py sums them.
junit = $(if $(JUNIT_DIR),--junitxml=$(abspath $(JUNIT_DIR))/$(1).xml)
# One pytest run named $(1): its JUnit XML as above, and its coverage labelled $(1).
pytest = COVERAGE_CONTEXT=$(1) $(PY) -m pytest -q $(call junit,$(1))

# Coverage (pyproject.toml's [tool.coverage]): `make test` collects it (COVERAGE=0 make test
# does not), any other target with COVERAGE=1; `make coverage` combines and reports it.
# COVERAGE_PROCESS_START starts coverage.py in every Python process of the virtualenv.
export COVERAGE_FILE := $(CURDIR)/reports/coverage/data/.coverage
ifeq ($(COVERAGE),1)
export COVERAGE_PROCESS_START := $(CURDIR)/pyproject.toml
endif
test: export COVERAGE_PROCESS_START := $(if $(filter 0,$(COVERAGE)),,$(CURDIR)/pyproject.toml)

.PHONY: help install run test lint test-repo test-sqlite test-postgres coverage coverage-erase clean reset-db scan-iac k8s-validate

help: ## List the targets
	@grep -hE '^[a-zA-Z0-9_.-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(CURDIR)/.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

.venv/.synced: uv.lock pyproject.toml */pyproject.toml | $(UV)
	$(UV) sync --locked --all-packages
	@touch $@

install: .venv/.synced ## Create .venv from uv.lock (installs uv first if needed)

run: install ## Migrate the SQLite databases and run all three services on 127.0.0.1:8001-8003
	$(PY) -m harness.stack run

test: install coverage-erase lint observability-check test-repo test-sqlite test-postgres test-contracts e2e ## The whole suite, every layer (collects coverage: make coverage)
	@echo "make test: all layers passed"

coverage-erase:
	rm -rf $(dir $(COVERAGE_FILE))

coverage: install ## Combine the coverage of the last make test: per suite, total, HTML in reports/coverage/html; fails under the threshold
	COVERAGE_PROCESS_START= $(PY) scripts/coverage_report.py

# What mypy checks in each service, besides its config/ and servicekit.
MYPY_discount := discounts
MYPY_payment := payments
MYPY_cart := carts tests/fakes.py
MYPY_catalog := products

lint: install ## ruff, formatting, mypy (django-stubs) per service with servicekit, no missing migrations
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	@set -e; $(foreach s,$(SERVICES), \
	  echo "mypy: $(s)_service"; \
	  (cd $(s)_service && $(PY) -m mypy --config-file ../pyproject.toml $(MYPY_$(s)) config ../servicekit/servicekit); \
	  (cd $(s)_service && $(PY) manage.py makemigrations --check --dry-run -v 0);)

test-repo: install ## The repository's own tests: docs/api.md against the code, bench/, the harness (tests/, harness/tests/)
	$(call pytest,repo) tests harness/tests

test-sqlite: install ## The shared kit's tests, then each service's suite on its embedded SQLite database
	@echo "== servicekit"; cd servicekit && $(call pytest,servicekit)
	@for s in $(SERVICES); do \
	  echo "== $${s}_service (SQLite)"; \
	  (cd $${s}_service && $(call pytest,$${s}_service-sqlite) -m "not postgres") || exit 1; \
	done

test-postgres: install ## Each service's suite, concurrency tests included, on a throwaway PostgreSQL
	$(PGCLUSTER) -- bash -c 'for s in $(SERVICES); do \
	  echo "== $${s}_service (PostgreSQL)"; \
	  (cd $${s}_service && DATABASE_URL=$$PG_BASE_URL/$$s $(call pytest,$${s}_service-postgres)) || exit 1; \
	done'

CHECKOV_VERSION := 3.3.30
CHECKOV := $(CURDIR)/.tools/checkov/bin/checkov

# Tools with many dependencies get their own virtualenv, filled by uv (seconds, where
# pip took about two minutes to resolve checkov's).
tool_venv = $(UV) venv --quiet --allow-existing .tools/$(1) && \
	$(UV) pip install --quiet --python .tools/$(1)/bin/python "$(2)"

$(CHECKOV): | $(UV)
	$(call tool_venv,checkov,checkov==$(CHECKOV_VERSION))

scan-iac: $(CHECKOV) ## checkov on the Dockerfiles and the GitHub workflow (pinned, under .tools/)
	$(CHECKOV) --version
	$(CHECKOV) --quiet --compact --skip-download --framework dockerfile github_actions \
	  -d . --skip-path .venv --skip-path .tools

# The Kubernetes manifests (deploy/k8s): rendered with kustomize, validated against the
# schemas of KUBERNETES_VERSION (bundled in kubernetes-validate: no network), and scanned
# by checkov; skips are annotations with their reason, in the manifests.
KUBERNETES_VALIDATE_VERSION := 1.37.0
KUBERNETES_VERSION := 1.32.0
KUBERNETES_VALIDATE := $(CURDIR)/.tools/kubernetes-validate/bin/kubernetes-validate
KUSTOMIZE := $(or $(shell command -v kustomize 2>/dev/null),kubectl kustomize)
K8S_RENDERED := $(CURDIR)/.tools/k8s-rendered

$(KUBERNETES_VALIDATE): | $(UV)
	$(call tool_venv,kubernetes-validate,kubernetes-validate==$(KUBERNETES_VALIDATE_VERSION))

k8s-validate: $(KUBERNETES_VALIDATE) $(CHECKOV) ## Render deploy/k8s (base, production), validate against Kubernetes schemas, checkov
	@rm -rf $(K8S_RENDERED) && mkdir -p $(K8S_RENDERED)
	$(KUSTOMIZE) deploy/k8s/base > $(K8S_RENDERED)/base.yaml
	$(KUSTOMIZE) deploy/k8s/overlays/production > $(K8S_RENDERED)/production.yaml
	$(KUBERNETES_VALIDATE) --version
	$(KUBERNETES_VALIDATE) --quiet --strict --kubernetes-version $(KUBERNETES_VERSION) \
	  $(K8S_RENDERED)/base.yaml $(K8S_RENDERED)/production.yaml
	$(CHECKOV) --quiet --compact --skip-download --framework kubernetes \
	  -f $(K8S_RENDERED)/production.yaml

# observability.mk first: e2e.mk's prerequisites name its $(PROMETHEUS).
include deploy/observability/observability.mk contracts/contracts.mk e2e/e2e.mk bench/bench.mk

reset-db: ## Delete the local SQLite databases (make run migrates fresh ones); keeps .venv
	rm -f $(foreach s,$(SERVICES),$(s)_service/db.sqlite3 $(s)_service/db.sqlite3-wal $(s)_service/db.sqlite3-shm)

clean: reset-db ## Remove the virtualenv, tools and local databases
	rm -rf .venv .tools .pytest_cache .ruff_cache
