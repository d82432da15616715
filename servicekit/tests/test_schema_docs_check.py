"""schema_doc_problems: what the services' docs-page tests hold every operation to."""

from servicekit.testing import schema_doc_problems


def _schema(operation: dict, **extra) -> dict:
    return {
        "info": {"title": "svc", "description": "Use CART_ADMIN_TOKEN (dev-cart-admin-token)."},
        "paths": {"/api/things/": {"post": operation}},
        **extra,
    }


DOCUMENTED = {
    "summary": "Create a thing",
    "requestBody": {"content": {"application/json": {"examples": {"A": {"value": {}}}}}},
    "responses": {
        "201": {
            "description": "The thing.",
            "content": {"application/json": {"examples": {"A": {"value": {}}}}},
        }
    },
}


def test_a_documented_operation_passes():
    assert schema_doc_problems(_schema(DOCUMENTED), ["CART_ADMIN_TOKEN"]) == []


def test_a_bare_operation_is_named_for_each_gap():
    bare = {
        "security": [{"bearerAuth": []}],
        "requestBody": {"content": {"application/json": {}}},
        "responses": {"201": {"description": "", "content": {"application/json": {}}}},
    }

    problems = schema_doc_problems(_schema(bare, info={"title": "svc"}), ["CART_ADMIN_TOKEN"])

    assert problems == [
        "info.description is empty",
        "info.description does not name CART_ADMIN_TOKEN",
        "info.description does not name dev-cart-admin-token",
        "POST /api/things/: security scheme 'bearerAuth' is not defined",
        "POST /api/things/: no summary",
        "POST /api/things/: no request example",
        "POST /api/things/: response 201 has no description",
        "POST /api/things/: response 201 has no example",
        "POST /api/things/: no example at all",
    ]


def test_a_defined_scheme_and_a_parameter_example_are_enough_for_a_bodiless_operation():
    operation = {
        "summary": "Forget a thing",
        "security": [{"bearerAuth": []}],
        "parameters": [{"name": "id", "in": "path", "examples": {"A": {"value": "1"}}}],
        "responses": {"204": {"description": "Forgotten."}},
    }
    schemes = {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}}

    assert schema_doc_problems(_schema(operation, components=schemes)) == []
