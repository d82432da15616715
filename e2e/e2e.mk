# End-to-end, compose and load targets (included by the root Makefile).
.PHONY: e2e e2e-admin chromium chaos load compose-e2e compose-scale compose-env fuzz-api

# Debian's chromium for the admin's browser suite (e2e/test_admin_journeys.py, driven by
# Playwright's Python package, which downloads no browser of its own). Installed with
# apt-get when the machine has none: it needs root (CI and this workplace run as root), and
# its dozens of shared libraries rule out unpacking the one package as `make prometheus` does.
# $CHROMIUM names another Chromium-based browser instead (the GitHub runners' Chrome).
chromium: ## Debian's chromium for the admin's browser suite (apt-get install when missing)
	@command -v "$${CHROMIUM:-chromium}" >/dev/null || { \
	  echo "installing Debian's chromium (apt-get; needs root)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 \
	  || { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; }; }
	@"$${CHROMIUM:-chromium}" --version 2>/dev/null | head -1

e2e: install $(PROMETHEUS) chromium ## The end-to-end journeys against a process stack (throwaway PostgreSQL, gunicorn), the admin's in chromium
	PROMETHEUS_BIN=$(PROMETHEUS) $(call pytest,e2e) e2e

e2e-admin: install chromium ## The admin's browser journeys alone (screenshots in reports/admin/)
	$(call pytest,e2e-admin) e2e/test_admin_journeys.py

chaos: install ## Shoppers for a minute while providers freeze, cart workers die and PostgreSQL fails; no 500, then every cart is checked
	$(PY) -m e2e.chaos --duration 60

load: install ## A bounded headless Locust run (10 users, 30 s) against the process stack; reports/
	$(PY) -m e2e.load.run --users 10 --spawn-rate 5 --duration 30s

compose-e2e: ## Build the images and run the end-to-end suite in docker-compose.e2e.yml (podman here)
	bash scripts/compose-e2e.sh

compose-scale: install ## 2 replicas of each service behind nginx: e2e suite, 30 s load, stuck checkouts, invariants, per-replica counts
	bash scripts/compose-scale.sh

compose-env: ## Write .env with random secrets for `docker-compose up` (kept if it exists)
	@test -e .env && echo ".env exists; left as it is" || (bash scripts/compose-env.sh > .env && echo "wrote .env")

fuzz-api: install ## schemathesis from each service's OpenAPI schema: no 5xx, responses as documented
	$(PY) -m e2e.fuzz_api --examples 40
