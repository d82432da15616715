"""Identifiers from outside: paths, query strings, provider-state parameters."""

from __future__ import annotations

import uuid


def parse_uuid(value: object) -> uuid.UUID | None:
    """The UUID ``value`` spells (or is), or None; the caller says what "not one" means
    (a 404 for a path, a 400 for a parameter)."""
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
