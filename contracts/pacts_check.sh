#!/usr/bin/env bash
# Regenerate pacts/ from empty twice: the two runs must be byte-identical (deterministic),
# and the result must equal what is committed (git), new untracked pact files included.
set -euo pipefail
PY=${1:-.venv/bin/python}
cd "$(dirname "$0")/.."
# JUnit XML of both runs when JUNIT_DIR is set (CI: .ci/run), named like the Makefile's.
junit() { if [ -n "${JUNIT_DIR:-}" ]; then echo "--junitxml=$JUNIT_DIR/$1.xml"; fi; }
first=$(mktemp -d)
trap 'rm -rf "$first"' EXIT

rm -f pacts/*.json
# shellcheck disable=SC2046 # junit prints nothing or one word
COVERAGE_CONTEXT=contracts-consumer "$PY" -m pytest -q contracts/consumer $(junit contracts-consumer)
cp pacts/*.json "$first"/
rm -f pacts/*.json
# shellcheck disable=SC2046
COVERAGE_CONTEXT=contracts-consumer "$PY" -m pytest -q -p no:cacheprovider contracts/consumer $(junit contracts-consumer-again) >/dev/null
if ! diff -r "$first" pacts >/dev/null; then
  diff -ru "$first" pacts | head -50
  echo "pacts-check: regenerating the pacts twice gave different files (not deterministic)" >&2
  exit 1
fi

status=0
git diff --exit-code --stat -- pacts/ || status=1
untracked=$(git ls-files --others --exclude-standard -- pacts/)
if [ -n "$untracked" ]; then
  echo "untracked pact files:"; echo "$untracked"; status=1
fi
if [ "$status" -ne 0 ]; then
  git --no-pager diff -- pacts/ | head -80
  echo "pacts-check: the regenerated pacts differ from the committed ones; commit pacts/ with the consumer change" >&2
  exit 1
fi
echo "pacts-check: pacts are deterministic and as committed"
