"""The shared base of the provider clients: timeouts, retries, auth, request id.

Every call has explicit (connect, read) timeouts. Only requests that are
idempotent by contract are retried (connection errors, timeouts, 5xx, 409
``idempotency_key_in_use``), with exponential backoff, all within a total time
budget. The policy is tenacity's (``Retrying``: stop after the tries or before a wait
that would overrun the budget, exponential waits); a try is ``_try``. Whatever cannot be
read as the contract promises becomes the client's ``unavailable`` error: the outcome is
unknown, never a 500 at cart_service.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn, TypeVar
from urllib.parse import quote

import requests
from pydantic import ValidationError
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential,
)

from carts.clients.replies import Reply
from servicekit.errors import ProblemError
from servicekit.observability.downstream import observe_call
from servicekit.perf.deadline import DeadlineAdapter, deadline
from servicekit.request_id import outgoing_headers

logger = logging.getLogger(__name__)
R = TypeVar("R", bound=Reply)


class _Transient(Exception):
    """A try that failed in a way another try may not: a network failure, a 5xx, a key in use."""


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
        params: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
    ) -> requests.Response:
        """Send one logical request; retry it only if ``idempotent``. Without a token (a
        provider whose reads are public) no Authorization header is sent."""
        all_headers = {
            **({"Authorization": f"Bearer {self.token}"} if self.token else {}),
            "Accept": "application/json",
            **outgoing_headers(),
            **(headers or {}),
        }
        prepared = requests.PreparedRequest()
        prepared.prepare(method=method, url=url, headers=all_headers, json=json_body, params=params)
        deadline_at = self._clock() + self.time_budget
        retrying = Retrying(
            # Only a request that is idempotent by contract is sent more than once ...
            stop=stop_after_attempt(1 + (self.retries if idempotent else 0))
            # ... and no wait that would not end within the time budget.
            | stop_before_delay(self.time_budget),
            wait=wait_exponential(multiplier=self.backoff, min=0),
            retry=retry_if_exception_type(_Transient),
            sleep=self._sleep,
            before_sleep=lambda state: self._log_try(method, url, state),
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._try(prepared, method, deadline_at, attempt.retry_state)
        except RetryError as exc:  # the last try failed, and no other may follow
            failure = str(exc.last_attempt.exception())
        logger.error("%s %s %s gave up: %s", self.provider, method, url, failure)
        raise self.unavailable()

    def _try(
        self, prepared: requests.PreparedRequest, method: str, deadline_at: float, state
    ) -> requests.Response:
        """One try: the response, or _Transient if another try may get a better answer."""
        remaining = deadline_at - self._clock()
        if remaining <= 0:
            raise _Transient(f"time budget of {self.time_budget}s ran out")
        timeout = (min(self.connect_timeout, remaining), min(self.read_timeout, remaining))
        number = state.attempt_number - 1
        try:
            with (
                deadline(time.monotonic() + remaining) as watch,
                observe_call(self.provider, method, number) as call,  # metrics, span
            ):
                prepared.headers.update(call.headers)  # this try's traceparent
                response = self.send(prepared, timeout)
                call.status = response.status_code
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
            raise _Transient(failure) from exc
        except requests.RequestException as exc:
            # Invalid URL and the like: a configuration problem, retrying cannot help.
            logger.error("%s %s %s failed: %s", self.provider, method, prepared.url, exc)
            raise self.unavailable() from exc
        if self._is_transient(response):
            raise _Transient(f"HTTP {response.status_code}")
        return response

    def _log_try(self, method: str, url: str, state) -> None:
        logger.warning(
            "%s %s %s try %d failed: %s",
            self.provider,
            method,
            url,
            state.attempt_number,
            state.outcome.exception(),
        )

    def send(self, prepared: requests.PreparedRequest, timeout: tuple[float, float]):
        """Send through the session's adapter, body read; no redirects, cookies or hooks.

        ``Session.request`` would merge settings, run hooks and parse cookies on every
        call (a measurable part of the client's CPU), none of which these calls use; a
        redirect from a provider is an unexpected answer, not something to follow with
        our token.
        """
        response = self.session.get_adapter(prepared.url or "").send(prepared, timeout=timeout)
        response.content  # read the body now, inside the deadline  # noqa: B018
        return response

    @staticmethod
    def _is_transient(response: requests.Response) -> bool:
        if response.status_code >= 500:
            return True
        return response.status_code == 409 and error_code(response) == "idempotency_key_in_use"

    # -- reading answers ----------------------------------------------------------

    def fail(self, response: requests.Response, why: str) -> NoReturn:
        """An answer we cannot use: logged, then the unavailable error is raised."""
        self.log_unusable(response, why)
        raise self.unavailable()

    def log_unusable(self, response: requests.Response, why: str) -> None:
        """Log an answer we cannot use. 401/403 means our token is wrong: our fault, loud."""
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

    def reply(self, model: type[R], response: requests.Response) -> R:
        """The body as the reply model says, or the unavailable error."""
        try:
            return model.read(response.content)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}"
                for e in exc.errors(include_url=False)
            )
        self.fail(response, problems)  # outside the except: no chained traceback


def problem_body(response: requests.Response) -> dict:
    """A problem+json body as a dict ({} if the body is no JSON object)."""
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def error_code(response: requests.Response) -> str | None:
    """The ``code`` of a problem+json body, if there is one."""
    code = problem_body(response).get("code")
    return code if isinstance(code, str) else None
