"""Where the end-to-end suite finds the system: in compose mode, base URLs from the environment."""

import os

# Compose mode: the stack is given by these variables instead of started by the suite.
COMPOSE_MODE = bool(os.environ.get("E2E_CART_URL"))
