"""Cross-cutting pieces shared by the three services, written once.

problem+json errors, request ids and logging, bearer-token auth, health checks,
money parsing, the provider-states endpoint and the settings every service uses.
"""
