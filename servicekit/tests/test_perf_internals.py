"""The internals each piece of the performance layer (servicekit/servicekit/perf/) relies on.

servicekit's pyproject.toml bounds Django, DRF, gunicorn and urllib3 to the versions these
pieces were tested on. Raising a bound: this test says first, piece by piece, which
private method, signature or attribute a new version took away or changed; the pieces'
own equality tests then say whether they still behave as the library does.
"""

from __future__ import annotations

import inspect

import pytest
from django.db.models import Field, Model
from django.db.models.base import ModelState
from django.db.models.options import Options
from django.db.models.query import RawQuerySet
from django.db.models.sql import InsertQuery
from django.db.models.sql.compiler import SQLCompiler, SQLInsertCompiler
from django.utils.functional import cached_property
from gunicorn import glogging, util
from gunicorn.arbiter import Arbiter
from gunicorn.config import Config
from gunicorn.http.parser import RequestParser
from gunicorn.http.unreader import Unreader
from gunicorn.workers.gthread import TConn, ThreadWorker
from requests.adapters import HTTPAdapter
from rest_framework import fields, negotiation, relations, serializers, views
from urllib3.connection import HTTPConnection
from urllib3.connectionpool import HTTPConnectionPool
from urllib3.poolmanager import PoolManager


def _name(owner) -> str:
    if inspect.ismodule(owner):
        return owner.__name__
    return f"{owner.__module__}.{owner.__qualname__}"


def method(owner, name: str, *params: str) -> tuple[str, object, tuple[str, ...]]:
    """A method (or function) the piece calls or overrides, with its parameter names."""
    return (name, owner, params)


def attribute(owner, name: str) -> tuple[str, object, None]:
    """A class attribute, property or cached_property the piece reads."""
    return (name, owner, None)


def on_instance(make, name: str) -> tuple[str, object, str]:
    """An attribute an instance gets in ``__init__`` (``make()`` builds one)."""
    return (name, make, "instance")


PIECES = {
    "perf.db.CompiledLookup": [
        method(RawQuerySet, "resolve_model_init_order", "self"),
        attribute(RawQuerySet, "columns"),
        attribute(RawQuerySet, "model_fields"),
        method(SQLCompiler, "get_converters", "self", "expressions"),
        method(SQLCompiler, "has_composite_fields", "self", "expressions"),
        method(Model, "from_db", "cls", "db", "field_names", "values"),
        method(Field, "get_col", "self", "alias", "output_field"),
    ],
    "perf.db.create": [
        method(InsertQuery, "insert_values", "self", "fields", "objs", "raw"),
        attribute(SQLInsertCompiler, "returning_fields"),
        attribute(SQLInsertCompiler, "returning_params"),
        method(SQLCompiler, "get_converters", "self", "expressions"),
        method(Model, "_prepare_related_fields_for_save", "self", "operation_name", "fields"),
        on_instance(ModelState, "adding"),
        on_instance(ModelState, "db"),
        attribute(Options, "db_returning_fields"),
        attribute(Options, "pk_fields"),
        attribute(Field, "generated"),
        method(Field, "pre_save", "self", "model_instance", "add"),
        method(Field, "get_db_prep_save", "self", "value", "connection"),
    ],
    "perf.db.update_where, save_fields": [
        method(Field, "pre_save", "self", "model_instance", "add"),
        method(Field, "get_db_prep_save", "self", "value", "connection"),
        method(Field, "get_db_prep_value", "self", "value", "connection", "prepared"),
    ],
    "perf.drf.FieldsOnceMixin": [
        attribute(serializers.Serializer, "_readable_fields"),
        method(fields.Field, "get_attribute", "self", "instance"),
        attribute(fields, "SkipField"),
        attribute(relations, "PKOnlyObject"),
    ],
    "perf.drf.InputFieldsOnceMixin": [
        attribute(serializers.Serializer, "fields"),
        on_instance(serializers.Serializer, "_context"),
        on_instance(serializers.Serializer, "partial"),
        method(serializers.BaseSerializer, "__init__", "self", "instance", "data", "kwargs"),
    ],
    "perf.drf.LeanGetMixin": [
        attribute(views.APIView, "default_response_headers"),
        attribute(views.APIView, "renderer_classes"),
        method(views.APIView, "dispatch", "self", "request", "args", "kwargs"),
    ],
    "perf.drf.JSONFirstNegotiation": [
        method(
            negotiation.DefaultContentNegotiation,
            "select_renderer",
            "self",
            "request",
            "renderers",
            "format_suffix",
        ),
    ],
    "perf.gunicorn_worker.BalancedThreadWorker": [
        method(ThreadWorker, "run", "self"),
        method(ThreadWorker, "accept", "self", "listener"),
        method(ThreadWorker, "set_accept_enabled", "self", "enabled"),
        method(ThreadWorker, "wait_for_and_dispatch_events", "self", "timeout"),
        method(ThreadWorker, "enqueue_req", "self", "conn"),
        method(ThreadWorker, "on_client_socket_readable", "self", "conn", "client"),
        method(ThreadWorker, "finish_request", "self", "conn", "fs"),
        method(ThreadWorker, "handle", "self", "conn"),
        method(ThreadWorker, "murder_pending", "self"),
        method(ThreadWorker, "_cap_keepalive", "self", "deadline"),
        method(TConn, "init", "self"),
        method(TConn, "close", "self", "graceful"),
        method(Unreader, "unread", "self", "data"),
        method(Unreader, "take_buffered", "self"),
        method(Unreader, "chunk", "self", "size_hint"),
        on_instance(lambda: RequestParser(Config(), iter([]), ("127.0.0.1", 1)), "unreader"),
    ],
    "perf.gunicorn_hooks": [
        method(util, "write_error", "sock", "status_int", "reason", "mesg"),
        method(util, "write_nonblock", "sock", "data", "chunked"),
        method(glogging.Logger, "_compute_access_log_enabled", "self"),
        on_instance(Config, "reuse_port"),
        on_instance(Config, "is_ssl"),
        on_instance(Config, "proxy_protocol"),
        on_instance(Config, "http2_cleartext"),
        on_instance(Config, "limit_request_field_size"),
        attribute(Arbiter, "WORKERS"),
    ],
    "perf.deadline": [
        method(HTTPConnection, "_new_conn", "self"),
        on_instance(lambda: HTTPConnection("example.invalid", 80), "_dns_host"),
        on_instance(lambda: HTTPConnection("example.invalid", 80), "socket_options"),
        attribute(HTTPConnectionPool, "ConnectionCls"),
        on_instance(PoolManager, "pool_classes_by_scheme"),
        method(
            HTTPAdapter,
            "init_poolmanager",
            "self",
            "connections",
            "maxsize",
            "block",
            "pool_kwargs",
        ),
    ],
}


_GONE = object()


def _missing(piece: str, name: str, owner, params) -> str | None:
    where = _name(owner) if not callable(owner) or inspect.isclass(owner) else "an instance"
    if params == "instance":
        made = owner() if callable(owner) else owner
        if not hasattr(made, name):
            return f"{piece} relies on {where}().{name}, which a new instance no longer has"
        return None
    found = inspect.getattr_static(owner, name, _GONE)
    if found is _GONE:
        return f"{piece} relies on {where}.{name}, which is gone"
    if params is None:
        return None
    function = found.__func__ if isinstance(found, classmethod | staticmethod) else found
    if isinstance(function, property | cached_property):
        return f"{piece} calls {where}.{name}, which is now a property"
    actual = tuple(inspect.signature(function).parameters)
    if actual != params:
        return f"{piece} relies on {where}.{name}{params}, which is now {name}{actual}"
    return None


@pytest.mark.parametrize("piece", PIECES)
def test_every_internal_the_piece_relies_on_is_still_there(piece):
    problems = [_missing(piece, name, owner, params) for name, owner, params in PIECES[piece]]

    assert not [p for p in problems if p], "\n".join(p for p in problems if p)


def test_a_changed_internal_is_reported_naming_the_piece_and_the_internal():
    class Changed:
        def accept(self, server, listener):  # what gunicorn 23's accept looks like
            pass

    problem = _missing(
        "perf.gunicorn_worker.BalancedThreadWorker", "accept", Changed, ("self", "listener")
    )
    assert problem is not None
    assert "perf.gunicorn_worker.BalancedThreadWorker" in problem
    assert "accept('self', 'listener')" in problem
    assert "accept('self', 'server', 'listener')" in problem
    assert _missing("perf.db.CompiledLookup", "resolve_model_init_order", Changed, ("self",))
    assert _missing("perf.deadline", "_dns_host", lambda: Changed(), "instance")
