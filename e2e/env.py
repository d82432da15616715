"""Where the end-to-end suite finds the system: in compose mode, base URLs from the environment."""

import os

# Compose mode: the stack is given by these variables instead of started by the suite.
COMPOSE_MODE = bool(os.environ.get("E2E_CART_URL"))
# The process stack's CART_PRICE_MAX_AGE (300 s as shipped): the journeys where prices move
# do not wait long for a cart's prices to need asking again.
PRICE_MAX_AGE = 1.0
