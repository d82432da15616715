"""Waiting for a state, never for a time: the journeys poll what they need to see, with a
deadline that only a broken system (or a stopped host) reaches, and then fail saying what
they were waiting for."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from harness.api_client import ApiError

# Generous: waiting ends as soon as the state is there; a deadline only says it never came.
DEADLINE = 60.0


def until(check: Callable[[], Any], what: str, within: float = DEADLINE, every: float = 0.2):
    """check()'s first truthy value; an error (an API's, a connection's) counts as "not yet"."""
    deadline, last = time.monotonic() + within, None
    while True:
        try:
            last = check()
            if last:
                return last
        except (ApiError, OSError) as exc:  # requests' and urllib's errors are OSErrors
            last = exc
        if time.monotonic() >= deadline:
            pytest.fail(f"{what}: not seen within {within}s (last: {last!r})")
        time.sleep(every)


class InBackground:
    """``fn()`` in a thread of its own (a request left in flight while the journey acts)."""

    def __init__(self, fn: Callable[[], Any], what: str) -> None:
        self.what = what
        self._outcome: dict[str, Any] = {}
        self._thread = threading.Thread(target=self._run, args=(fn,), daemon=True)
        self._thread.start()

    def _run(self, fn: Callable[[], Any]) -> None:
        try:
            self._outcome["value"] = fn()
        except Exception as exc:  # handed to the journey
            self._outcome["error"] = exc

    def _ended(self, within: float) -> dict[str, Any]:
        self._thread.join(within)
        if self._thread.is_alive():
            pytest.fail(f"{self.what}: no answer within {within}s")
        return self._outcome

    def answer(self, within: float = DEADLINE) -> Any:
        """What ``fn`` returned; a failure saying what it raised instead."""
        outcome = self._ended(within)
        if "error" in outcome:
            pytest.fail(f"{self.what} raised {outcome['error']!r} instead of answering")
        return outcome["value"]

    def error(self, within: float = DEADLINE) -> Exception:
        """What ``fn`` raised; a failure saying what it returned instead."""
        outcome = self._ended(within)
        if "error" not in outcome:
            pytest.fail(f"{self.what} answered {outcome['value']!r} instead of failing")
        return outcome["error"]
