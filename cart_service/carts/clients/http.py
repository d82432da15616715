"""The shared base of the provider clients: timeouts, retries, auth, request id.

Every call has explicit (connect, read) timeouts. Only requests that are
idempotent by contract are retried (connection errors, timeouts, 5xx, 409
``idempotency_key_in_use``), with exponential backoff, all within a total time
budget. Whatever cannot be read as the contract promises becomes the client's
``unavailable`` error: the outcome is unknown, never a 500 at cart_service.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import requests

from servicekit.errors import ProblemError
from servicekit.request_id import outgoing_headers

from .deadline import DeadlineAdapter, deadline

logger = logging.getLogger(__name__)
_MONEY = re.compile(r"^\d+\.\d{2}$")


class MalformedResponse(ValueError):
    """The provider's body does not have the shape the contract promises."""


class ProviderClient:
    """A provider's base URL and token, a ``requests.Session``, and the retry policy."""

    provider = "provider"
    unavailable: type[ProblemError] = ProblemError

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        connect_timeout: float = 1.0,
        read_timeout: float = 3.0,
        retries: int = 2,
        backoff: float = 0.2,
        time_budget: float = 8.0,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.retries = max(0, retries)
        self.backoff = max(0.0, backoff)
        self.time_budget = time_budget
        if session is None:
            session = requests.Session()
            # Calls between services go straight to the configured URL: no proxy from the
            # environment, no .netrc (and no looking them up on every call).
            session.trust_env = False
            # Resolve, connect and read under the call's one wall-clock deadline.
            for scheme in ("http://", "https://"):
                session.mount(scheme, DeadlineAdapter())
        self.session = session
        # Tests may replace these to observe or skip the waiting.
        self._sleep: Callable[[float], None] = time.sleep
        self._clock: Callable[[], float] = time.monotonic

    def close(self) -> None:
        self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- requests ---------------------------------------------------------------

    def url(self, *segments: str) -> str:
        """The URL of a path under the base; each segment is percent-encoded."""
        return self.base_url + "/" + "/".join(quote(str(s), safe="") for s in segments) + "/"

    def request(
        self,
        method: str,
        url: str,
        *,
        idempotent: bool,
        json_body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send one logical request; retry it only if ``idempotent``."""
        all_headers = {
            "Authorization": f"Bearer {self.token}",
            "Accept": "application/json",
            **outgoing_headers(),
            **(headers or {}),
        }
        prepared = requests.PreparedRequest()
        prepared.prepare(method=method, url=url, headers=all_headers, json=json_body, params=params)
        deadline_at = self._clock() + self.time_budget
        tries = 1 + (self.retries if idempotent else 0)
        failure = "no attempt fitted in the time budget"
        for attempt in range(tries):
            remaining = deadline_at - self._clock()
            if remaining <= 0:
                break
            timeout = (min(self.connect_timeout, remaining), min(self.read_timeout, remaining))
            try:
                with deadline(time.monotonic() + remaining) as watch:
                    response = self.send(prepared, timeout)
                    if watch.cut:  # the body may have been cut short
                        raise requests.Timeout("the time budget ran out")
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
            ) as exc:
                failure = f"{type(exc).__name__}: {exc}"
                if self._clock() >= deadline_at:
                    failure = f"time budget of {self.time_budget}s ran out ({failure})"
            except requests.RequestException as exc:
                # Invalid URL and the like: a configuration problem, retrying cannot help.
                logger.error("%s %s %s failed: %s", self.provider, method, url, exc)
                raise self.unavailable() from exc
            else:
                if not self._is_transient(response):
                    return response
                failure = f"HTTP {response.status_code}"
            logger.warning(
                "%s %s %s attempt %d/%d failed: %s",
                self.provider,
                method,
                url,
                attempt + 1,
                tries,
                failure,
            )
            if attempt + 1 < tries:
                delay = self.backoff * (2**attempt)
                if self._clock() + delay >= deadline_at:
                    break
                self._sleep(delay)
        logger.error("%s %s %s gave up: %s", self.provider, method, url, failure)
        raise self.unavailable()

    def send(self, prepared: requests.PreparedRequest, timeout: tuple[float, float]):
        """Send through the session's adapter, body read; no redirects, cookies or hooks.

        ``Session.request`` would merge settings, run hooks and parse cookies on every
        call (about a fifth of the client's CPU here), none of which these calls use; a
        redirect from a provider is an unexpected answer, not something to follow with
        our token.
        """
        response = self.session.get_adapter(prepared.url).send(prepared, timeout=timeout)
        response.content  # read the body now, inside the deadline  # noqa: B018
        return response

    @staticmethod
    def _is_transient(response: requests.Response) -> bool:
        if response.status_code >= 500:
            return True
        return response.status_code == 409 and error_code(response) == "idempotency_key_in_use"

    # -- reading answers ----------------------------------------------------------

    def fail(self, response: requests.Response, why: str) -> ProblemError:
        """An answer we cannot use. 401/403 means our token is wrong: our fault, logged loud."""
        if response.status_code in (401, 403):
            logger.error(
                "%s refused our token (HTTP %d): check its *_SERVICE_TOKEN setting",
                self.provider,
                response.status_code,
            )
        else:
            logger.error(
                "%s answered %s %s: %s; body starts %r",
                self.provider,
                response.request.method,
                response.url,
                why,
                response.text[:200],
            )
        return self.unavailable()

    def body(self, response: requests.Response) -> dict[str, Any]:
        """The JSON object in the response, or the unavailable error."""
        try:
            data = json.loads(response.text, parse_float=Decimal)
        except ValueError:
            raise self.fail(response, f"HTTP {response.status_code} body is not JSON") from None
        if not isinstance(data, dict):
            raise self.fail(response, "body is not a JSON object")
        return data


_shared: dict[tuple, ProviderClient] = {}


def shared_client(cls: type[ProviderClient], base_url: str, token: str) -> ProviderClient:
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
    return client


def downstream_options() -> dict[str, float | int]:
    """The DOWNSTREAM_* settings every provider client takes (read now, not at import)."""
    from django.conf import settings

    return {
        "connect_timeout": settings.DOWNSTREAM_CONNECT_TIMEOUT,
        "read_timeout": settings.DOWNSTREAM_READ_TIMEOUT,
        "retries": settings.DOWNSTREAM_RETRIES,
        "backoff": settings.DOWNSTREAM_BACKOFF,
        "time_budget": settings.DOWNSTREAM_TIME_BUDGET,
    }


def error_code(response: requests.Response) -> str | None:
    """The ``code`` of a problem+json body, if there is one."""
    try:
        data = response.json()
    except ValueError:
        return None
    code = data.get("code") if isinstance(data, dict) else None
    return code if isinstance(code, str) else None


# Field readers: strict about types, they raise MalformedResponse.
def read_str(data: Mapping[str, Any], key: str, *, nullable: bool = False) -> str | None:
    value = data.get(key)
    if value is None and nullable and key in data:
        return None
    if not isinstance(value, str) or not value:
        raise MalformedResponse(f"{key!r} must be a non-empty string, got {value!r}")
    return value


def read_choice(data: Mapping[str, Any], key: str, choices: set[str]) -> str:
    value = read_str(data, key)
    if value not in choices:
        raise MalformedResponse(f"{key!r} must be one of {sorted(choices)}, got {value!r}")
    return value


def read_money(data: Mapping[str, Any], key: str) -> Decimal:
    """Money is a string with two decimals; a JSON number (a float on the wire) is refused."""
    value = data.get(key)
    if not isinstance(value, str) or not _MONEY.match(value):
        raise MalformedResponse(f"{key!r} must be a money string like '12.50', got {value!r}")
    return Decimal(value)


def read_datetime(data: Mapping[str, Any], key: str) -> datetime:
    value = read_str(data, key)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise MalformedResponse(f"{key!r} must be an ISO 8601 timestamp, got {value!r}") from None
    if parsed.tzinfo is None:
        raise MalformedResponse(f"{key!r} must carry a UTC offset, got {value!r}")
    return parsed
