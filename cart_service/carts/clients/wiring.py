"""One client per provider per process, configured from Django settings."""

from __future__ import annotations

import os
from typing import TypedDict, TypeVar, cast

from carts.clients.http import ProviderClient

C = TypeVar("C", bound=ProviderClient)
_shared: dict[tuple, ProviderClient] = {}


class DownstreamOptions(TypedDict):
    connect_timeout: float
    read_timeout: float
    retries: int
    backoff: float
    time_budget: float


def shared_client(cls: type[C], base_url: str, token: str) -> C:
    """One client per provider and configuration per process, so one pool of keep-alive
    connections: a new ``requests.Session`` per call would open a new TCP connection per
    call and rebuild its adapters. Keyed by the process id too, so that a forked worker
    never reuses its parent's sockets. ``requests.Session`` is safe to share between the
    threads of a worker for plain requests like these (no cookies, no auth handlers).
    """
    options = downstream_options()
    key = (cls, base_url, token, os.getpid(), *sorted(options.items()))
    client = _shared.get(key)
    if client is None:
        client = _shared.setdefault(key, cls(base_url, token, **options))
    return cast(C, client)


def downstream_options() -> DownstreamOptions:
    """The DOWNSTREAM_* settings every provider client takes (read now, not at import)."""
    from django.conf import settings

    return {
        "connect_timeout": settings.DOWNSTREAM_CONNECT_TIMEOUT,
        "read_timeout": settings.DOWNSTREAM_READ_TIMEOUT,
        "retries": settings.DOWNSTREAM_RETRIES,
        "backoff": settings.DOWNSTREAM_BACKOFF,
        "time_budget": settings.DOWNSTREAM_TIME_BUDGET,
    }
