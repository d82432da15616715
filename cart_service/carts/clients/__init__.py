"""HTTP clients for the providers cart_service calls, one module per provider.

They import nothing from Django at import time (contract tests use them bare);
each module's ``from_settings()`` builds a client from Django settings lazily.
"""
