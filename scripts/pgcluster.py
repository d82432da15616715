#!/usr/bin/env python3
"""``python scripts/pgcluster.py run|which ...``: the documented command for ``harness.pgcluster``."""

import sys

from harness.pgcluster import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
