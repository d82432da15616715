"""Shared by the consumer tests and the provider verifications: import paths."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# ROOT for `contracts`, `e2e` and `scripts`; cart_service/ for its real provider clients.
for path in (ROOT, ROOT / "cart_service"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")
