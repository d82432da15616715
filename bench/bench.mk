# The benchmark (included by the root Makefile). See bench/run.py and the README.
.PHONY: bench bench-ab

WRK := $(shell command -v wrk 2>/dev/null)

bench: install ## Hot read and checkout flow vs a bare-Django floor, SQLite and PostgreSQL; reports/bench.*
ifeq ($(WRK),)
	@echo "wrk is missing: installing Debian's package"
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq
	$(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk
endif
	$(PY) -m bench.run $(BENCH_ARGS)

bench-ab: install ## Two revisions' checkout flows in alternated runs: BASE=<rev> [AB_ARGS="--postgres --pairs 4"]; reports/ab.json
	@test -n "$(BASE)" || { echo 'usage: make bench-ab BASE=<revision> [AB_ARGS="--postgres"]'; exit 2; }
	$(PY) -m bench.ab --base $(BASE) $(AB_ARGS)
