"""The test harness every layer shares (bench, contracts, e2e, the compose checks, tests/).

``pgcluster``: a throwaway PostgreSQL. ``stack``: the services as processes. ``proxy``: a TCP
proxy that holds back answers. ``loopback``: clients from other loopback addresses.
``api_client`` and ``tokens``: the public APIs as their users call them. ``invariants``: what
must hold between carts, payments and codes, checked from the services' own rows.

It imports nothing of the layers above it.
"""
