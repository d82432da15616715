"""Shared by the consumer tests and the provider verifications.

(Import paths are pytest's ``pythonpath`` in the root pyproject.toml: the root for
``contracts``, cart_service/ for its real provider clients.)
"""

from __future__ import annotations

import os

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")
