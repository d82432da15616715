"""DRF plumbing: the single exception handler, JSON parsing, pagination, the lean GET."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, cast

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import OperationalError as DjangoOperationalError
from django.http import Http404, HttpResponse
from rest_framework import exceptions, negotiation, pagination, parsers, renderers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.response import Response
from rest_framework.settings import api_settings

from servicekit.auth import BearerTokenAuthentication, bearer_token, token_role
from servicekit.errors import ProblemError, client_fault, problem
from servicekit.observability import db as observability_db

if TYPE_CHECKING:  # rest_framework.views reads the settings, which name this module
    from rest_framework.views import APIView

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

    Nested fields get dotted paths: ``items.0.unit_price``.
    """
    out: dict[str, list[str]] = {}
    key = path or api_settings.NON_FIELD_ERRORS_KEY
    if isinstance(detail, dict):
        for name, value in detail.items():
            for field, messages in _flatten(value, f"{path}.{name}" if path else str(name)).items():
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
        return problem_response(exc.as_problem())
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


class JSONFirstNegotiation(negotiation.DefaultContentNegotiation):
    """DRF's negotiation, with the answer to nearly every request decided without parsing.

    No ``Accept`` header, ``*/*`` and ``application/json`` (what clients send, when they
    send anything) pick what DRF would pick: the view's first renderer, or with
    ``application/json`` the first renderer if it is JSON. Parsing the header and
    matching it against each renderer costs about a tenth of a hot read's CPU. Anything
    else, and a ``?format=``, goes through DRF's own negotiation, 406 included.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        if renderers and not format_suffix and "format" not in request.query_params:
            first = renderers[0]
            if _picks_first_renderer(request.META, first):
                return first, first.media_type
        return super().select_renderer(request, renderers, format_suffix)


def _picks_first_renderer(meta, first: type[renderers.BaseRenderer]) -> bool:
    """Whether the request's ``Accept`` picks a view's first renderer without negotiating."""
    accept = meta.get("HTTP_ACCEPT", "*/*").strip()  # "" is DRF's 406
    return accept == "*/*" or (accept == "application/json" and first.media_type == accept)


class LeanGetMixin:
    """For an ``APIView`` whose GET is a hot read: plain GETs skip DRF's per-request work.

    A GET with no query string, an ``Accept`` that picks the view's first renderer
    without negotiating (none, ``*/*``, ``application/json`` for a JSON renderer) and a
    bearer token of one of ``lean_roles`` is answered from ``lean_get(**kwargs)``: the
    data DRF would render, or None to let the view answer as usual (not found, say). The
    answer is DRF's own: the same renderer, Content-Type, ``Allow`` and ``Vary``.
    Everything else, every error included, goes through DRF, and so does a lean read
    that raises: the view runs it again and answers, or reports, as it always does.

    DRF's request wrapper, authentication and permission classes, negotiation and
    response finalising cost about an eighth of the hot read's CPU under gunicorn.
    ``lean_roles`` must be roles the view's own permissions admit for GET; the tests
    compare both paths, role by role, to hold the answers equal.
    """

    lean_roles: tuple[str, ...] = ()
    lean_get: Callable[..., object | None]  # the view's URL kwargs -> the data, or None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.lean_roles:
            return
        if not callable(getattr(cls, "lean_get", None)):
            raise TypeError(f"{cls.__name__} has lean_roles but no lean_get()")
        # What the lean path does not do, the view must not need: it authenticates by
        # bearer token alone and neither throttles nor versions.
        if list(getattr(cls, "authentication_classes", [])) != [BearerTokenAuthentication]:
            raise TypeError(f"{cls.__name__}: a lean GET authenticates by bearer token only")
        if getattr(cls, "throttle_classes", None) or getattr(cls, "versioning_class", None):
            raise TypeError(f"{cls.__name__}: a lean GET neither throttles nor versions")

    def dispatch(self, request, *args, **kwargs):
        view = cast("APIView", self)
        if request.method == "GET" and self.lean_roles and not request.META.get("QUERY_STRING"):
            first = view.renderer_classes[0]
            token = bearer_token(request.META.get("HTTP_AUTHORIZATION", ""))
            if (
                token is not None
                and _picks_first_renderer(request.META, first)
                and token_role(token) in self.lean_roles
            ):
                try:
                    data = self.lean_get(**kwargs)
                except Exception:
                    # DRF runs it again, and answers or reports the error; a lean read
                    # that keeps failing must show, not only cost twice the CPU.
                    logger.warning(
                        "%s.lean_get failed; answered through DRF",
                        type(self).__name__,
                        exc_info=True,
                    )
                    data = None
                if data is not None:
                    response = HttpResponse(first().render(data), content_type=first.media_type)
                    for name, value in view.default_response_headers.items():
                        response[name] = value
                    return response
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


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


# An output serializer whose fields are built once per class, not once per response.
#
# DRF deep-copies (and, for a ModelSerializer, rebuilds from the model) every
# field each time a serializer is instantiated; on a small hot response that
# is most of the CPU. The fields of an output serializer hold no per-request
# state, so the first instance's bound fields serve every later one. The
# output is DRF's own ``Serializer.to_representation``, field for field; only
# for serializers without context-dependent fields (no hyperlinks, no
# ``SerializerMethodField`` reading ``self.context``).
#
# (A comment, not a docstring: drf-spectacular would publish a mixin's docstring as the
# description of every serializer that has none of its own.)
class FieldsOnceMixin:
    _plan: tuple | None = None

    def to_representation(self, instance):
        cls = type(self)
        plan = cls.__dict__.get("_plan")
        if plan is None:
            plan = tuple(
                (f.field_name, f.get_attribute, f.to_representation)
                for f in self._readable_fields  # type: ignore[attr-defined] # a Serializer's
            )
            cls._plan = plan
        ret = {}
        for name, get_attribute, represent in plan:
            try:
                attribute = get_attribute(instance)
            except SkipField:
                continue
            check = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            ret[name] = None if check is None else represent(attribute)
        return ret


# An input serializer whose fields are built and bound once per class, not per request.
#
# DRF deep-copies every declared field each time a serializer is instantiated and binds
# the copies to the new instance; validating a small body, that is most of the
# validation's CPU. Validating reads nothing per request from the fields: the data is
# passed along and errors are raised. So one set of bound fields validates for every
# instance (and every thread: nothing is written to them but their lazily built
# validators, the same each time).
#
# Those fields are bound to a blank instance of the class, built for them (no data, so no
# request's body is kept alive by them), which stays their ``root``: its ``partial`` and
# ``context`` are what they read. So only instances that are roots themselves and are
# validated without ``context``, ``partial`` or an ``instance`` share them; any other
# (nested in another serializer, partial, with context, bound to an instance) builds its
# own once, as DRF does. Only for serializers whose fields and validators read nothing
# else from their root or parent.
#
# (A comment, not a docstring: drf-spectacular would publish a mixin's docstring as the
# description of every serializer that has none of its own.)
class InputFieldsOnceMixin:
    @property
    def fields(self):
        own = self.__dict__.get("fields")  # DRF's cached_property stores it there
        if own is not None:
            return own
        shared = (
            self.parent is None  # type: ignore[attr-defined] # a Serializer's
            and self.instance is None  # type: ignore[attr-defined]
            and not self.partial  # type: ignore[attr-defined]
            and not self._context  # type: ignore[attr-defined]
        )
        if not shared:
            return super().fields  # type: ignore[misc] # DRF's cached_property
        cls = type(self)
        fields = cls.__dict__.get("_shared_fields")
        if fields is None:
            fields = super(InputFieldsOnceMixin, cls()).fields  # type: ignore[misc]
            cls._shared_fields = fields  # type: ignore[attr-defined]
        return fields


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
