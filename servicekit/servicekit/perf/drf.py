"""The performance layer's DRF pieces (servicekit/servicekit/perf/README.md).

``JSONFirstNegotiation`` (negotiation without parsing ``Accept``), ``LeanGetMixin`` (a hot
GET without DRF's request machinery), ``FieldsOnceMixin`` and ``InputFieldsOnceMixin``
(serializer fields built once per class). Each is held equal to DRF's own behaviour by
tests; ``servicekit/tests/test_perf_internals.py`` fails, naming the piece, when a DRF
internal one relies on is gone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from django.http import HttpResponse
from rest_framework import negotiation, renderers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject

from servicekit import dbfaults
from servicekit.auth import BearerTokenAuthentication, bearer_token, token_role

if TYPE_CHECKING:  # rest_framework.views reads the settings, which name this module
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)
# DRF's query parameter that picks a renderer (URL_FORMAT_OVERRIDE): DRF negotiates it.
_FORMAT = "format"


class JSONFirstNegotiation(negotiation.DefaultContentNegotiation):
    """DRF's negotiation, with the answer to nearly every request decided without parsing.

    No ``Accept`` header, ``*/*`` and ``application/json`` (what clients send, when they
    send anything) pick what DRF would pick: the view's first renderer, or with
    ``application/json`` the first renderer if it is JSON. Parsing the header and
    matching it against each renderer is a measurable part of a hot read's CPU. Anything
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

    A GET with an ``Accept`` that picks the view's first renderer without negotiating
    (none, ``*/*``, ``application/json`` for a JSON renderer), from one of ``lean_roles``
    by bearer token (or from anyone, with ``lean_public``), and with no query string
    (or, with ``lean_query``, one without DRF's ``format``) is answered from
    ``lean_get(**kwargs)`` (with ``lean_query``, ``lean_get(query, **kwargs)``, the
    request's ``QueryDict``): the data DRF would render, or None to let the view answer
    as usual (not found, say, or a query it does not take). The answer is DRF's own:
    the same renderer, Content-Type, ``Allow`` and ``Vary``. Everything else, every
    error included, goes through DRF, and so does a lean read that raises: the view
    runs it again and answers, or reports, as it always does.

    DRF's request wrapper, authentication and permission classes, negotiation and
    response finalising are a measurable part of the hot read's CPU (perf/README.md).
    ``lean_roles`` must be roles the view's own permissions admit for GET, and
    ``lean_public`` only for a view whose GET neither authenticates nor checks
    permissions; the tests compare both paths, role by role, to hold the answers equal.
    """

    lean_roles: tuple[str, ...] = ()
    lean_public = False  # GET is open to anyone: no token is read
    lean_query = False  # GETs with a query string are lean too; lean_get gets it first
    lean_get: Callable[..., object | None]  # [the query,] the URL kwargs -> the data, or None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not (cls.lean_roles or cls.lean_public):
            return
        if not callable(getattr(cls, "lean_get", None)):
            raise TypeError(f"{cls.__name__} is lean but has no lean_get()")
        # What the lean path does not do, the view must not need: it authenticates by
        # bearer token alone (or not at all) and neither throttles nor versions.
        if cls.lean_roles and cls.lean_public:
            raise TypeError(f"{cls.__name__}: a lean GET is for lean_roles or for anyone")
        if cls.lean_roles and list(getattr(cls, "authentication_classes", [])) != [
            BearerTokenAuthentication
        ]:
            raise TypeError(f"{cls.__name__}: a lean GET authenticates by bearer token only")
        if getattr(cls, "throttle_classes", None) or getattr(cls, "versioning_class", None):
            raise TypeError(f"{cls.__name__}: a lean GET neither throttles nor versions")

    def dispatch(self, request, *args, **kwargs):
        view = cast("APIView", self)
        if request.method == "GET" and (self.lean_roles or self.lean_public):
            query = request.META.get("QUERY_STRING")
            first = view.renderer_classes[0]
            if (
                (not query or (self.lean_query and _FORMAT not in request.GET))
                and _picks_first_renderer(request.META, first)
                and (self.lean_public or self._lean_role(request) in self.lean_roles)
            ):
                try:
                    if self.lean_query:
                        data = self.lean_get(request.GET, **kwargs)
                    else:
                        data = self.lean_get(**kwargs)
                except Exception as exc:
                    # DRF runs it again, and answers or reports the error; a lean read
                    # that keeps failing must show, not only cost twice the CPU. (An
                    # unavailable database is an outage, not a bug: no traceback.)
                    logger.warning(
                        "%s.lean_get failed; answered through DRF",
                        type(self).__name__,
                        exc_info=not dbfaults.is_unavailable(exc),
                    )
                    data = None
                if data is not None:
                    response = HttpResponse(first().render(data), content_type=first.media_type)
                    for name, value in view.default_response_headers.items():
                        response[name] = value
                    return response
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    @staticmethod
    def _lean_role(request) -> str | None:
        token = bearer_token(request.META.get("HTTP_AUTHORIZATION", ""))
        return None if token is None else token_role(token)


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
