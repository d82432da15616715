"""Parallel clients for the concurrency tests: each call with its own client and connection."""

import functools
import uuid
from collections.abc import Callable

from rest_framework.test import APIClient

from servicekit.testing import run_together


def as_client(token: str, calls: list[Callable[[APIClient], object]]) -> list:
    """Each call with its own client (carrying ``token``) and connection, all at once."""

    def call(index: int):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return calls[index](client)

    return run_together([functools.partial(call, i) for i in range(len(calls))])


def redeem(code: str, cart_id: uuid.UUID):
    return lambda client: client.post(
        f"/api/discounts/{code}/redemptions/", {"cart_id": str(cart_id)}, format="json"
    )


def release(code: str, cart_id: uuid.UUID):
    return lambda client: client.delete(f"/api/discounts/{code}/redemptions/{cart_id}/")


def outcome(response) -> tuple:
    if isinstance(response, Exception):
        return ("exception", repr(response))
    if response.status_code >= 400:
        return (response.status_code, response.json()["code"])
    return (response.status_code,)
