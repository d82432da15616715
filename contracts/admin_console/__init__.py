"""A second consumer, written from the public API documentation alone (docs/api.md).

An operator's admin console: it manages discount codes, lists carts and looks up
payments. Its pacts (spec V3) prove that any consumer's pact verifies, not only
the project's own suite: interactions without a state, several states on one
interaction, states named without params, query strings and matchers.
"""
