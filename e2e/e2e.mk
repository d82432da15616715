# End-to-end, compose and load targets (included by the root Makefile).
.PHONY: e2e chaos load compose-e2e compose-scale compose-env fuzz-api

e2e: install $(PROMETHEUS) ## The end-to-end journeys against a process stack (throwaway PostgreSQL, gunicorn)
	PROMETHEUS_BIN=$(PROMETHEUS) $(call pytest,e2e) e2e

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
