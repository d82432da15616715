# End-to-end, compose and load targets (included by the root Makefile).
.PHONY: e2e load compose-e2e

e2e: install ## The end-to-end journeys against a process stack (throwaway PostgreSQL, gunicorn)
	$(PY) -m pytest e2e -q

load: install ## A bounded headless Locust run (10 users, 30 s) against the process stack; reports/
	$(PY) e2e/load/run.py --users 10 --spawn-rate 5 --duration 30s
