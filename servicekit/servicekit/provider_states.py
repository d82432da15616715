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

What the verifier sends (pact_verifier, checked with the CLI): for an interaction
without a state one setup and one teardown with ``"state": ""``; for several states
one setup per state in order, the request, then one teardown per state in the same
order. Hence an empty state sets nothing up, and teardown is an idempotent reset:
the first state's teardown removes everything (the request has already been made),
the later ones find nothing left and still answer 200.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from rest_framework import serializers
from rest_framework.settings import api_settings

from servicekit.fields import MoneyField, StrictBooleanField, StrictIntegerField
from servicekit.views import problem_json

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
        """``state`` "" is an interaction without a state: nothing of its own to set up."""
        if state and state not in self._setups:
            raise StateError(f"Unknown provider state {state!r}; known: {self.names}.")
        with transaction.atomic():
            if action == "teardown":
                # Also for "": rows a stateless interaction created (a POST) must not
                # leak into the next interaction.
                if self._teardown:
                    self._teardown()
                return {}
            if not state:
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
            state, params = body.get("state") or "", body.get("params") or {}
            action = body.get("action") or "setup"
            if not isinstance(state, str):
                return _bad("'state' must be a string.")
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


def validated(serializer_class: type[serializers.Serializer], params: Params) -> dict:
    """``params`` as the serializer validates them, or a StateError naming the first bad one."""
    serializer = serializer_class(data=params)
    if not serializer.is_valid():
        raise StateError(_first_error(serializer.errors))
    return serializer.validated_data


def _first_error(errors: Any, name: str = "") -> str:
    """DRF's nested errors as "Param 'items[0].quantity': <its first message>"."""
    if isinstance(errors, dict):
        key, errors = next((key, value) for key, value in errors.items() if value)
        if isinstance(key, int):
            name = f"{name}[{key}]"
        elif key != api_settings.NON_FIELD_ERRORS_KEY:
            name = f"{name}.{key}" if name else key
        return _first_error(errors, name)
    if errors and not isinstance(errors[0], str):  # a list of nested serializers' errors
        return _first_error(dict(enumerate(errors)), name)
    return f"Param {name!r}: {errors[0]}" if name else f"Bad params: {errors[0]}"


# Fields for state params, which arrive as JSON and are often written as strings by the
# consumer's test (pact params are free-form): each also takes its value as a string.


class StateBooleanField(StrictBooleanField):
    """true or false, also written as a string ("true", "False")."""

    def to_internal_value(self, data) -> bool:
        if isinstance(data, str) and data.lower() in ("true", "false"):
            data = data.lower() == "true"
        return super().to_internal_value(data)


class StateCountField(StrictIntegerField):
    """A non-negative integer up to ``max_value``, also written as digits ("3")."""

    def to_internal_value(self, data) -> int:
        if isinstance(data, str) and data.strip().isdigit():
            data = int(data)
        return super().to_internal_value(data)


class StateMoneyField(MoneyField):
    """Also a JSON number with a fraction: the endpoint parses JSON with plain floats."""

    def to_internal_value(self, data) -> Decimal:
        return super().to_internal_value(Decimal(repr(data)) if isinstance(data, float) else data)
