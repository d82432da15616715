"""Test helpers and a pytest plugin every service's suite loads (``pytest_plugins``)."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import pytest
from django.db import OperationalError, connection, transaction
from django.urls import clear_url_caches

from servicekit.settings import DEV_TOKENS

T = TypeVar("T")

# What decides how a service's settings load; a manage.py subprocess starts without
# these from the caller's environment, so only what the test passes counts.
SETTINGS_VARIABLES = frozenset(
    {
        "DJANGO_ENV",
        "DEBUG",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "PACT_PROVIDER_STATES",
        "ADMIN_ENABLED",
        *DEV_TOKENS,
    }
)


def run_manage(service_dir: Path, *args: str, **env: str | None) -> subprocess.CompletedProcess:
    """Run ``manage.py ARGS`` of a service in a fresh process with ``env`` (None unsets)."""
    environment = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    environment.update({k: v for k, v in env.items() if v is not None})
    return subprocess.run(  # noqa: S603 - the test suite's own manage.py
        [sys.executable, "manage.py", *args],
        cwd=service_dir,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_problem(response, status: int, code: str) -> dict:
    """The response is an RFC 9457 problem with this status and code; returns its body."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/problem+json"), response["Content-Type"]
    body = response.json()
    assert body["code"] == code, body
    assert body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    return body


def run_together(calls: Sequence[Callable[[], T]], *, timeout: float = 60) -> list[T | Exception]:
    """Run each call in its own thread, all released at once by a barrier; the results
    in order, an exception in place of a result. Each thread has its own database
    connection (Django opens one per thread), closed when its call ends: concurrency
    tests on PostgreSQL are truly parallel clients.
    """
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=timeout)
            results[index] = calls[index]()
        except Exception as exc:  # the test asserts on it
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results


def locked_elsewhere(queryset) -> bool:
    """Whether another connection finds the queryset's rows locked: it tries
    ``SELECT ... FOR UPDATE NOWAIT`` from a thread (so a connection) of its own."""

    def try_to_lock() -> bool:
        try:
            with transaction.atomic():
                list(queryset.select_for_update(nowait=True))
            return False
        except OperationalError:
            return True
        finally:
            connection.close()  # the thread's own connection

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(try_to_lock).result(timeout=30)


@pytest.fixture
def provider_states_on(settings):
    """Mount /_pact/provider-states as PACT_PROVIDER_STATES=1 would, and unmount it after
    (the URLconf reads the setting when it is imported, so it is imported again)."""

    def remount() -> None:
        importlib.reload(importlib.import_module(settings.ROOT_URLCONF))
        clear_url_caches()

    settings.PACT_PROVIDER_STATES = True
    remount()
    yield
    settings.PACT_PROVIDER_STATES = False
    remount()


@pytest.fixture
def drf_requests(monkeypatch):
    """The methods of the requests that reached DRF's own request handling (a lean read,
    ``servicekit.perf.drf.LeanGetMixin``, skips it)."""
    from rest_framework.views import APIView

    seen: list[str] = []
    initial = APIView.initial

    def spy(self, request, *args, **kwargs):
        seen.append(request.method)
        return initial(self, request, *args, **kwargs)

    monkeypatch.setattr(APIView, "initial", spy)
    return seen


def pytest_collection_modifyitems(config, items):
    # Concurrency tests prove claims about PostgreSQL's locking; on SQLite they would
    # prove nothing. `make test` runs them against a throwaway PostgreSQL cluster.
    for item in items:
        if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: run `make test-postgres`"))


def statements(queries: int, transactions: int = 0) -> int:
    """The statements Django logs in a test for ``queries`` and ``transactions`` atomic blocks.

    A test runs inside a transaction, so each atomic block of the code is a savepoint:
    ``SAVEPOINT`` and ``RELEASE SAVEPOINT`` are logged with the queries, on every backend.
    """
    return queries + 2 * transactions


OPERATION_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _has_examples(holder: dict) -> bool:
    """A request body, response or parameter with an example of its own or of a content type."""
    if holder.get("examples") or "example" in holder:
        return True
    return any(
        media.get("examples") or "example" in media
        for media in (holder.get("content") or {}).values()
    )


def schema_doc_problems(schema: dict, tokens: Iterable[str] = ()) -> list[str]:
    """What keeps an OpenAPI schema from being a docs page a consumer can learn the API from.

    An ``info.description`` naming each of ``tokens`` (the variable and its development
    value); every security requirement defined in ``components.securitySchemes``; for every
    operation a summary, a description on each success response, and examples: of the
    request body when there is one, of each success response with a body, and at least one
    in all (a body, a response or a parameter). An empty list is a page to learn from.
    """
    problems = []
    description = schema.get("info", {}).get("description", "")
    if not description.strip():
        problems.append("info.description is empty")
    for name in tokens:
        for word in (name, DEV_TOKENS[name]):
            if word not in description:
                problems.append(f"info.description does not name {word}")
    schemes = set(schema.get("components", {}).get("securitySchemes", {}))
    for path, item in schema.get("paths", {}).items():
        for method in OPERATION_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            where = f"{method.upper()} {path}"
            for requirement in operation.get("security", schema.get("security", [])):
                problems += [
                    f"{where}: security scheme {name!r} is not defined"
                    for name in requirement
                    if name not in schemes
                ]
            if not operation.get("summary", "").strip():
                problems.append(f"{where}: no summary")
            body = operation.get("requestBody")
            if body is not None and not _has_examples(body):
                problems.append(f"{where}: no request example")
            successes = {
                status: response
                for status, response in operation.get("responses", {}).items()
                if status.startswith("2")
            }
            for status, response in successes.items():
                if not response.get("description", "").strip():
                    problems.append(f"{where}: response {status} has no description")
                if response.get("content") and not _has_examples(response):
                    problems.append(f"{where}: response {status} has no example")
            parameters = operation.get("parameters", [])
            if not any(_has_examples(x) for x in [body or {}, *successes.values(), *parameters]):
                problems.append(f"{where}: no example at all")
    return problems


def assert_docs_page_complete(client, *tokens: str) -> None:
    """The service's /api/schema/ passes :func:`schema_doc_problems` (``tokens``: its variables)."""
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200, response.status_code
    problems = schema_doc_problems(response.json(), tokens)
    assert not problems, "\n".join(problems)


def fail_as_unavailable(execute, context) -> None:
    """Raise what an unavailable database raises, a real error of the database through
    Django's cursor (``execute``, inside an execute wrapper): PostgreSQL cancels the
    statement (statement_timeout, left set: close the connection afterwards), SQLite cannot
    open a database file."""
    if context["connection"].vendor == "postgresql":
        execute("SET statement_timeout = 50", None, False, context)
        execute("SELECT pg_sleep(2)", None, False, context)
    else:
        execute("ATTACH DATABASE '/nonexistent-dir/gone.sqlite3' AS gone", None, False, context)


@contextlib.contextmanager
def queries_fail_as_unavailable(*, first: int = 1):
    """From the ``first``-th query on (1-based), every query of this thread's connection
    fails as an unavailable database's does (``fail_as_unavailable``); the connection is
    closed afterwards."""
    seen = 0

    def fail(execute, sql, params, many, context):
        nonlocal seen
        seen += 1
        if seen >= first:
            fail_as_unavailable(execute, context)
        return execute(sql, params, many, context)

    try:
        with connection.execute_wrapper(fail):
            yield
    finally:
        connection.close()


class FailingQueries:
    """An execute wrapper (``with connection.execute_wrapper(faults):``) whose next ``n``
    queries fail as an unavailable database's do, once ``fail_next(n)`` is called."""

    def __init__(self) -> None:
        self.pending = 0
        self.failed = 0

    def fail_next(self, n: int) -> None:
        self.pending = n

    def __call__(self, execute, sql, params, many, context):
        if self.pending:
            self.pending -= 1
            self.failed += 1
            fail_as_unavailable(execute, context)
        return execute(sql, params, many, context)


# What a service's settings make of the operators' console, printed by a process of its own.
ADMIN_PROBE = """
import json
from django.conf import settings
from django.urls import Resolver404, resolve
try:
    resolve("/admin/")
    served = True
except Resolver404:
    served = False
print(json.dumps({
    "served": served,
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "csrf_cookie_secure": settings.CSRF_COOKIE_SECURE,
    "login_throttled": settings.AXES_ENABLED
        and "servicekit.operators.middleware.AdminMiddleware" in settings.MIDDLEWARE,
    "api_authentication": settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"],
}))
from django.core.management import call_command
call_command("check", "--deploy", "--fail-level", "WARNING")  # raises on any warning
"""


def admin_settings_of(service_dir: Path, **env: str | None) -> dict:
    """The operators' console as the service's settings make it under ``env`` (and
    ``check --deploy`` clean, or the process fails)."""
    result = run_manage(service_dir, "shell", "-c", ADMIN_PROBE, **env)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(next(line for line in result.stdout.splitlines() if line.startswith("{")))


def assert_admin_safe_in_production(service_dir: Path, production: dict[str, str]) -> None:
    """Off in production unless ADMIN_ENABLED; on, Secure cookies and a login throttle, the
    API still by bearer token only, and ``check --deploy`` clean."""
    off = admin_settings_of(service_dir, **production)
    on = admin_settings_of(service_dir, **production, ADMIN_ENABLED="1")

    assert off["served"] is False
    assert on == {
        "served": True,
        "session_cookie_secure": True,
        "csrf_cookie_secure": True,
        "login_throttled": True,
        "api_authentication": ["servicekit.auth.BearerTokenAuthentication"],
    }


# -- the operators' console: browsers signed in as each kind of operator ------------------


def operator_browser(username: str, *, group: str | None = None, superuser: bool = False):
    """A Django test client signed in as a staff user of ``group`` (or a superuser)."""
    from django.contrib.auth.models import Group, User
    from django.test import Client

    user = User.objects.create_user(username, password="x", is_staff=True, is_superuser=superuser)
    if group:
        user.groups.set([Group.objects.get(name=group)])
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def actor(db):
    """An operator of the group operators-act (named ada)."""
    return operator_browser("ada", group="operators-act")


@pytest.fixture
def viewer(db):
    """An operator of the group operators-read (named vic)."""
    return operator_browser("vic", group="operators-read")


@pytest.fixture
def superuser(db):
    """A superuser (named root): every permission there is."""
    return operator_browser("root", superuser=True)


def pairs(xs, ys, *, with_x, with_y) -> list[tuple]:
    """Each of ``xs`` with every one of ``with_y``, and each of ``ys`` with every one of
    ``with_x``: for a choice made from two inputs the code reads independently (a lean
    path's role from Authorization, its negotiation from Accept), the pairs that meet every
    value of each with the other's telling values, not the whole product."""
    chosen = {(x, y) for x in xs for y in with_y} | {(x, y) for y in ys for x in with_x}
    return sorted(chosen, key=repr)


def answer_seen(
    method: str,
    url: str,
    authorization: str | None = None,
    accept: str | None = None,
    **extra: str,
) -> tuple[int, bytes, dict[str, str]]:
    """What a client sees of an answer, for comparing a lean path's with DRF's: the status,
    the body and every header but the request id (new on each request). ``authorization``
    and ``accept`` are sent only when given; ``extra`` are more request headers
    (``HTTP_IF_NONE_MATCH=...``)."""
    from rest_framework.test import APIClient

    headers = dict(extra)
    if authorization is not None:
        headers["HTTP_AUTHORIZATION"] = authorization
    if accept is not None:
        headers["HTTP_ACCEPT"] = accept
    response = getattr(APIClient(), method)(url, **headers)
    kept = {k: v for k, v in response.headers.items() if k != "X-Request-ID"}
    return response.status_code, response.content, kept
