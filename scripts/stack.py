#!/usr/bin/env python3
"""``python scripts/stack.py run ...`` (what `make run` does): the documented command for ``harness.stack``."""

import sys

from harness.stack import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
