"""Every mutation of the teeth check still applies to this tree.

``make contracts-teeth`` patches copies of the providers; a pattern that the code no longer
contains fails it only when it runs (it is not part of ``make test``), so a change to a
provider's code can break the check without anyone noticing. This reads each pattern
against the tree, once each, as ``contracts.teeth.apply`` does on a copy.
"""

from pathlib import Path

import pytest

from contracts.teeth import MUTATIONS

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: f"{m.provider}: {m.name}")
def test_every_patch_of_a_mutation_finds_its_code_once(mutation):
    for relative, old, _ in mutation.patches:
        text = (ROOT / mutation.provider / relative).read_text()
        assert text.count(old) == 1, f"{mutation.provider}/{relative}: {old[:80]!r}"
