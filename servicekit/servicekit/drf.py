"""DRF plumbing: the single exception handler, JSON parsing, problem+json rendering, pagination.

What makes DRF faster on the hot paths (the lean GET, fields built once, negotiation
without parsing) is the performance layer's: ``servicekit.perf.drf``.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import cast

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import OperationalError as DjangoOperationalError
from django.http import Http404
from rest_framework import exceptions, pagination, parsers, renderers
from rest_framework.response import Response
from rest_framework.settings import api_settings

from servicekit import dbfaults
from servicekit.errors import ProblemError, client_fault, problem
from servicekit.observability import db as observability_db

logger = logging.getLogger(__name__)
PROBLEM_CONTENT_TYPE = "application/problem+json"

_DRF_CODES: dict[type[exceptions.APIException], tuple[str, str]] = {
    exceptions.NotAuthenticated: ("not_authenticated", "Not authenticated"),
    exceptions.AuthenticationFailed: ("not_authenticated", "Not authenticated"),
    exceptions.PermissionDenied: ("permission_denied", "Permission denied"),
    exceptions.NotFound: ("not_found", "Not found"),
    exceptions.MethodNotAllowed: ("method_not_allowed", "Method not allowed"),
    exceptions.NotAcceptable: ("not_acceptable", "Not acceptable"),
    exceptions.UnsupportedMediaType: ("unsupported_media_type", "Unsupported media type"),
    exceptions.ParseError: ("malformed_request", "Malformed request body"),
    exceptions.Throttled: ("throttled", "Too many requests"),
}


def _flatten(detail, path: str = "") -> dict[str, list[str]]:
    """DRF's nested errors as docs/api.md's flat ``{"field": ["message", ...]}``.

    Nested fields get dotted paths: ``items.0.unit_price``; a nested serializer's errors of
    its own (not a dictionary, a list too long) are named by its field: ``cart.items``.
    """
    out: dict[str, list[str]] = {}
    key = path or api_settings.NON_FIELD_ERRORS_KEY
    if isinstance(detail, dict):
        for name, value in detail.items():
            if path and name == api_settings.NON_FIELD_ERRORS_KEY:
                name_path = path
            else:
                name_path = f"{path}.{name}" if path else str(name)
            for field, messages in _flatten(value, name_path).items():
                out.setdefault(field, []).extend(messages)
    elif isinstance(detail, list) and any(isinstance(d, (dict, list)) for d in detail):
        for index, value in enumerate(detail):  # a list of items: {} where an item is valid
            for field, messages in _flatten(
                value, f"{path}.{index}" if path else str(index)
            ).items():
                out.setdefault(field, []).extend(messages)
    elif isinstance(detail, list):
        out[key] = [str(d) for d in detail]
    else:
        out[key] = [str(detail)]
    return out


def is_lock_timeout(exc: BaseException) -> bool:
    """A lock wait that ran out of DB_LOCK_TIMEOUT: PostgreSQL's lock_not_available
    (SQLSTATE 55P03) or SQLite's "database is locked" after its busy timeout."""
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) == "55P03" or "database is locked" in str(exc)


def validation_problem(errors: object) -> dict[str, object]:
    return problem(
        400,
        "validation_error",
        "Invalid input",
        "One or more fields are invalid; see 'errors'.",
        errors=_flatten(errors),
    )


def problem_response(body: dict[str, object], headers: dict[str, str] | None = None) -> Response:
    status = cast(int, body["status"])  # servicekit.errors.problem() puts an int there
    return Response(body, status=status, content_type=PROBLEM_CONTENT_TYPE, headers=headers)


def exception_handler(exc, context) -> Response | None:
    """Render every error as problem+json; unexpected ones as a bare 500 problem."""
    # Errors are JSON whatever the view renders otherwise (the schema view's YAML, the
    # docs' HTML): the renderer content negotiation picked for the view would be used.
    if request := context.get("request"):
        request.accepted_renderer = renderers.JSONRenderer()
        request.accepted_media_type = PROBLEM_CONTENT_TYPE
    if isinstance(exc, ProblemError):
        return problem_response(exc.as_problem(), exc.headers())
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, DjangoOperationalError) and is_lock_timeout(exc):
        logger.warning("gave up waiting for a database lock: %s", exc)
        return problem_response(
            problem(
                409,
                "resource_busy",
                "Resource busy",
                "Another request is changing this resource; try again.",
            ),
            {"Retry-After": "1"},
        )
    if dbfaults.is_unavailable(exc):
        observability_db.connection_failed()
        dbfaults.log_unavailable(exc, type(context.get("view")).__name__)
        return problem_response(
            dbfaults.unavailable_problem(), {"Retry-After": dbfaults.RETRY_AFTER}
        )
    if isinstance(exc, exceptions.ValidationError):
        return problem_response(validation_problem(exc.detail))
    if isinstance(exc, exceptions.APIException):
        code, title = _DRF_CODES.get(type(exc), (exc.default_code, "Error"))
        headers = {}
        if auth_header := getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = auth_header
        if wait := getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(wait))
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return problem_response(problem(exc.status_code, code, title, detail), headers)
    if body := client_fault(exc):
        return problem_response(body)
    observability_db.count_unhandled(exc)
    logger.exception("Unhandled error in %s", context.get("view").__class__.__name__)
    return problem_response(
        problem(
            500, "internal_error", "Internal server error", "The server failed; it has been logged."
        )
    )


class DecimalJSONParser(parsers.JSONParser):
    """JSON numbers with a fraction become Decimal, so their written precision is kept."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", "utf-8")
        try:
            text = stream.read().decode(encoding) if stream else ""
            data = json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
        except (ValueError, UnicodeDecodeError) as exc:
            raise exceptions.ParseError(f"The body is not valid JSON: {exc}") from None
        except RecursionError:
            raise exceptions.ParseError("The body is nested too deeply.") from None
        return data


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a valid JSON value")


class ProblemJSONRenderer(renderers.JSONRenderer):
    """Lets clients that accept only problem+json still get errors."""

    media_type = PROBLEM_CONTENT_TYPE


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=N&page_size=M`` (default 20, capped at 100); malformed values are 400."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
        return parameters

    def get_paginated_response_schema(self, schema):
        # The docs page wraps an item's example in this envelope: a first page of one.
        paginated = super().get_paginated_response_schema(schema)
        fields = paginated["properties"]
        fields["count"]["example"] = 1
        fields["next"]["example"] = None
        fields["previous"]["example"] = None
        return paginated

    def paginate_queryset(self, queryset, request, view=None):
        errors = {}
        for name in ("page", "page_size"):
            raw = request.query_params.get(name)
            if raw is not None and not (raw.isdigit() and int(raw) >= 1):
                errors[name] = ["Enter a positive integer."]
        if errors:
            raise exceptions.ValidationError(errors)
        return super().paginate_queryset(queryset, request, view)


# An input serializer that refuses some fields by name: the fields of a resource that a
# PATCH may not change (``refused_fields``). Each one sent is a validation error naming
# it, reported together with any other invalid field; other unknown fields are ignored,
# as everywhere.
#
# (A comment, not a docstring: drf-spectacular would publish a mixin's docstring as the
# description of every serializer that has none of its own.)
class RefusedFieldsMixin:
    refused_fields: tuple[str, ...] = ()
    refused_message = "This field cannot be changed."

    def to_internal_value(self, data):
        refused = {}
        if isinstance(data, dict):
            refused = {name: [self.refused_message] for name in self.refused_fields if name in data}
        try:
            attrs = super().to_internal_value(data)  # type: ignore[misc] # a Serializer's
        except exceptions.ValidationError as exc:
            if isinstance(exc.detail, dict):
                raise exceptions.ValidationError({**refused, **exc.detail}) from None
            raise
        if refused:
            raise exceptions.ValidationError(refused)
        return attrs
