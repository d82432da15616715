"""docs/api.md stays true to the services.

Every operation and status code the doc's "method and path" tables name exists in the
services' OpenAPI schemas (and every operation of the schemas is in the doc), and every
error ``code`` the services can answer, collected from their source, is named in the doc.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from http import HTTPStatus
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "api.md"
# Each service and its app.
APPS = {"discount": "discounts", "payment": "payments", "cart": "carts", "catalog": "products"}
SERVICES = tuple(APPS)
METHODS = ("get", "post", "put", "patch", "delete")
# Where the services' answers are written: the shared kit and each service's own code.
SOURCES = [ROOT / "servicekit" / "servicekit"] + [
    ROOT / f"{s}_service" / d for s in SERVICES for d in ("config", APPS[s])
]

Operation = tuple[str, str]  # (METHOD, path with every {parameter} written {})


# -- the doc --------------------------------------------------------------------------


def _normalise(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path.split("?", 1)[0])


def documented_operations(text: str) -> dict[str, dict[Operation, set[int]]]:
    """Per service, the operations of its "method and path" tables and the statuses named."""
    out: dict[str, dict[Operation, set[int]]] = {}
    service = None
    for line in text.splitlines():
        if heading := re.match(r"## (\w+)_service\b", line):
            service = heading.group(1)
            continue
        if line.startswith("## "):
            service = None
        row = re.match(r"\| `(GET|POST|PUT|PATCH|DELETE) (/[^` ]*)[^|]*\|[^|]*\|(.*)\|\s*$", line)
        if service is None or not row:
            continue
        method, path, result = row.groups()
        statuses = {
            int(n)
            for n in re.findall(r"(?<![\d.\u2013-])([1-5]\d\d)(?![\d.])", result)
            if int(n) in HTTPStatus._value2member_map_
        }
        out.setdefault(service, {})[(method, _normalise(path))] = statuses
    return out


def documented_codes(text: str) -> set[str]:
    return set(re.findall(r"`([a-z][a-z0-9_]*)`", text))


# -- the services -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> dict[str, dict]:
    """Each service's OpenAPI schema, as ``manage.py spectacular`` writes it."""
    out = {}
    env = {**os.environ, "DJANGO_ENV": "test"}
    env.pop("DATABASE_URL", None)
    for service in SERVICES:
        target = tmp_path_factory.mktemp("schema") / f"{service}.json"
        subprocess.run(
            [
                sys.executable,
                "manage.py",
                "spectacular",
                "--format=openapi-json",
                f"--file={target}",
            ],
            cwd=ROOT / f"{service}_service",
            env=env,
            check=True,
        )
        out[service] = json.loads(target.read_text())
    return out


@pytest.fixture(scope="module")
def schemas(published) -> dict[str, dict[Operation, set[int]]]:
    return {
        service: {
            (method.upper(), _normalise(path)): {int(s) for s in op["responses"] if s.isdigit()}
            for path, ops in schema["paths"].items()
            for method, op in ops.items()
            if method in METHODS
        }
        for service, schema in published.items()
    }


def _string(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def answerable_codes() -> set[str]:
    """Every error code the services can answer, read from their source.

    * ``code`` of every ProblemError subclass, except abstract bases: classes that others
      derive from and that are never raised themselves;
    * the second argument of every ``problem(...)`` / ``problem_json(...)`` call;
    * the code tables (module-level ``*_CODES`` dicts: ``{status: code}`` or
      ``{exception: (code, title)}``).
    """
    classes: dict[str, tuple[list[str], str | None]] = {}
    raised: set[str] = set()
    codes: set[str] = set()
    for folder in SOURCES:
        for file in folder.rglob("*.py"):
            if "migrations" in file.parts:
                continue
            tree = ast.parse(file.read_text(), filename=str(file))
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef):
                    classes[node.name] = ([_base_name(b) for b in node.bases], _class_code(node))
                elif isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                    raised.add(_base_name(node.exc.func))
                elif isinstance(node, ast.Call) and _base_name(node.func) in (
                    "problem",
                    "problem_json",
                ):
                    if len(node.args) >= 2 and (code := _string(node.args[1])):
                        codes.add(code)
                elif isinstance(node, ast.Assign | ast.AnnAssign):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    names = [t.id for t in targets if isinstance(t, ast.Name)]
                    if any(n.endswith("_CODES") for n in names) and isinstance(
                        node.value, ast.Dict
                    ):
                        for value in node.value.values:
                            first = value.elts[0] if isinstance(value, ast.Tuple) else value
                            if code := _string(first):
                                codes.add(code)

    def is_problem_error(name: str) -> bool:
        seen = set()
        while name in classes and name not in seen:
            seen.add(name)
            if "ProblemError" in classes[name][0]:
                return True
            name = next((b for b in classes[name][0] if b in classes), "")
        return False

    derived_from = {base for bases, _ in classes.values() for base in bases}
    for name, (_, code) in classes.items():
        if code and is_problem_error(name) and (name not in derived_from or name in raised):
            codes.add(code)
    return codes


def _base_name(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _class_code(node: ast.ClassDef) -> str | None:
    for statement in node.body:
        if not isinstance(statement, ast.Assign):
            continue
        for target in statement.targets:
            if isinstance(target, ast.Name) and target.id == "code":
                return _string(statement.value)
            if isinstance(target, ast.Tuple) and isinstance(statement.value, ast.Tuple):
                for name, value in zip(target.elts, statement.value.elts, strict=False):
                    if isinstance(name, ast.Name) and name.id == "code":
                        return _string(value)
    return None


# -- the checks ---------------------------------------------------------------------------


def test_every_documented_operation_and_status_is_in_the_schemas(schemas):
    documented = documented_operations(DOC.read_text())
    assert set(documented) == set(SERVICES)

    problems = []
    for service, operations in documented.items():
        for operation, statuses in operations.items():
            if operation not in schemas[service]:
                problems.append(f"{service}_service has no {operation[0]} {operation[1]}")
                continue
            for status in sorted(statuses - schemas[service][operation]):
                problems.append(f"{service}_service {operation[0]} {operation[1]}: no {status}")
    assert not problems, "docs/api.md names what the schemas lack:\n" + "\n".join(problems)


def test_every_operation_of_the_schemas_is_documented(schemas):
    documented = documented_operations(DOC.read_text())

    missing = [
        f"{service}_service {method} {path}"
        for service, operations in schemas.items()
        for method, path in operations
        if (method, path) not in documented.get(service, {})
    ]
    assert not missing, "not in docs/api.md:\n" + "\n".join(missing)


def test_every_error_code_the_services_answer_is_named_in_the_doc():
    codes = answerable_codes()

    missing = sorted(codes - documented_codes(DOC.read_text()))
    assert not missing, f"error codes the services answer but docs/api.md does not name: {missing}"


def test_the_code_collection_finds_codes_from_every_kind_of_source():
    codes = answerable_codes()

    assert {
        "payment_refused",  # a ProblemError subclass (cart_service)
        "idempotency_key_reused",  # a ProblemError subclass (payment_service)
        "discount_code_taken",  # a ProblemError subclass (discount_service)
        "product_sku_taken",  # a ProblemError subclass (catalog_service)
        "resource_busy",  # a problem(...) call in servicekit.drf
        "invalid_provider_state",  # a problem_json(...) call
        "method_not_allowed",  # servicekit.drf's DRF code table
        "headers_too_large",  # gunicorn's code table
    } <= codes
    assert not {"conflict", "unprocessable", "discount_refused"} & codes  # abstract bases


def test_a_code_removed_from_the_doc_is_reported():
    text = DOC.read_text().replace("`payment_refused`", "payment refused")

    assert "payment_refused" in answerable_codes() - documented_codes(text)


def test_a_status_the_schema_lacks_is_reported(schemas):
    text = DOC.read_text().replace(
        "| `GET /api/carts/{id}/` | anyone | 200; 404 `cart_not_found` |",
        "| `GET /api/carts/{id}/` | anyone | 200; 404 `cart_not_found`; 418 teapot |",
    )

    assert documented_operations(text)["cart"][("GET", "/api/carts/{}/")] == {200, 404, 418}
    assert 418 not in schemas["cart"][("GET", "/api/carts/{}/")]


def test_no_docstring_of_a_mixin_of_the_kit_is_published_as_a_description(published):
    """drf-spectacular describes a serializer or view by the first docstring up its
    classes: a servicekit mixin's notes for developers must not become API docs (the
    kit's own published serializers, such as the problem details, are described so)."""
    first_lines = set()
    for source in (ROOT / "servicekit" / "servicekit").rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if not (isinstance(node, ast.ClassDef) and node.name.endswith("Mixin")):
                continue
            if doc := ast.get_docstring(node):
                first_lines.add(doc.splitlines()[0].strip())

    leaked = {
        f"{service}: {line}"
        for service, schema in published.items()
        for line in first_lines
        if line in json.dumps(schema)
    }
    assert not leaked, "published as API documentation:\n" + "\n".join(sorted(leaked))
