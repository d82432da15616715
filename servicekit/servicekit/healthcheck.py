"""Container healthcheck: ``python -m servicekit.healthcheck`` exits 0 when /health/ready is 200.

It asks the port gunicorn binds (``BIND``) on loopback, so it needs no curl in the image.
"""

import os
import sys
import urllib.request


def main() -> int:
    port = os.environ.get("BIND", "127.0.0.1:8000").rsplit(":", 1)[1]
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=3) as resp:
            return 0 if resp.status == 200 else 1
    except OSError as exc:
        print(f"not ready: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
