"""The Pact provider-states endpoint and the registry of a service's states.

A service declares its states in its own ``provider_states.py``::

    states = ProviderStates()

    @states.setup("a discount exists")
    def _(params): ...        # creates exactly what params say; returns a JSON object

    @states.teardown_all
    def _(): ...              # removes every row a state or an interaction made

The endpoint is mounted only when ``PACT_PROVIDER_STATES=1`` (never in
production settings). It answers 400, never 5xx, for an unknown state or bad
params: the Pact verifier retries a 5xx for minutes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .views import problem_json

logger = logging.getLogger(__name__)
Params = dict[str, Any]


class StateError(ValueError):
    """Bad params for a state: the endpoint answers 400 with this message."""


class ProviderStates:
    def __init__(self) -> None:
        self._setups: dict[str, Callable[[Params], dict]] = {}
        self._teardown: Callable[[], None] | None = None

    def setup(self, name: str):
        def register(fn: Callable[[Params], dict]):
            self._setups[name] = fn
            return fn

        return register

    def teardown_all(self, fn: Callable[[], None]):
        self._teardown = fn
        return fn

    @property
    def names(self) -> list[str]:
        return sorted(self._setups)

    def run(self, state: str, action: str, params: Params) -> dict:
        if state not in self._setups:
            raise StateError(f"Unknown provider state {state!r}; known: {self.names}.")
        with transaction.atomic():
            if action == "teardown":
                if self._teardown:
                    self._teardown()
                return {}
            return self._setups[state](params) or {}

    def view(self):
        @csrf_exempt
        @require_POST
        def provider_states(request):
            try:
                body = json.loads(request.body or b"{}")
            except ValueError:
                return problem_json(
                    400, "malformed_request", "Malformed request body", "Send JSON."
                )
            if not isinstance(body, dict):
                return _bad("The body must be a JSON object.")
            state, params = body.get("state"), body.get("params") or {}
            action = body.get("action") or "setup"
            if not isinstance(state, str) or not state:
                return _bad("'state' (a string) is required.")
            if action not in ("setup", "teardown"):
                return _bad("'action' must be 'setup' or 'teardown'.")
            if not isinstance(params, dict):
                return _bad("'params' must be a JSON object.")
            try:
                result = self.run(state, action, params)
            except StateError as exc:
                return _bad(str(exc))
            except Exception as exc:
                logger.exception("provider state %r (%s) failed", state, action)
                return _bad(f"State {state!r} could not be set up with {params!r}: {exc}")
            logger.info("provider state %r %s %s", state, action, params)
            return JsonResponse(result)

        return provider_states


def _bad(detail: str) -> JsonResponse:
    return problem_json(400, "invalid_provider_state", "Invalid provider state", detail)


def require(params: Params, key: str) -> Any:
    if params.get(key) in (None, ""):
        raise StateError(f"Param {key!r} is required.")
    return params[key]
