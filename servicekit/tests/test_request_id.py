import logging

import pytest
from django.test import Client

from servicekit.request_id import MaskIdsFilter, mask_ids


@pytest.mark.parametrize(
    "sent", ["abc\n", "abc\r\nX-Injected: 1", "a" * 201, "", "ä-id", "id with spaces"]
)
def test_an_unsafe_request_id_is_replaced_by_a_generated_one(sent):
    response = Client().get("/health/live", HTTP_X_REQUEST_ID=sent)

    assert response["X-Request-ID"] != sent
    assert len(response["X-Request-ID"]) == 36


def test_a_safe_request_id_is_kept():
    response = Client().get("/health/live", HTTP_X_REQUEST_ID="shop-1:retry/2")

    assert response["X-Request-ID"] == "shop-1:retry/2"


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        (
            "/api/carts/5d1c0a2b-9d8e-4f7a-8b6c-5d4e3f2a1b0c/items/7C6B5A49-3827-4165-9E4D-3C2B1A0F9E8D/",
            "/api/carts/5d1c0a2b-****/items/7C6B5A49-****/",
        ),
        ("/api/carts/5d1c0a2b9d8e4f7a8b6c5d4e3f2a1b0c/", "/api/carts/5d1c0a2b-****/"),
        (
            "/api/payments/?reference=cart:5d1c0a2b-9d8e-4f7a-8b6c-5d4e3f2a1b0c",
            "/api/payments/?reference=cart:5d1c0a2b-****",
        ),
        ("/api/discounts/SAVE10/", "/api/discounts/SAVE10/"),
    ],
)
def test_logged_paths_keep_only_the_start_of_ids(path, logged):
    assert mask_ids(path) == logged


def test_the_access_log_does_not_show_a_whole_cart_id(caplog):
    cart_id = "5d1c0a2b-9d8e-4f7a-8b6c-5d4e3f2a1b0c"
    caplog.set_level("INFO", logger="servicekit.access")

    Client().get(f"/nowhere/{cart_id}/")

    access = [r.getMessage() for r in caplog.records if r.name == "servicekit.access"]
    assert access
    assert "5d1c0a2b-****" in access[0]
    assert cart_id not in access[0]


def test_django_request_lines_mask_ids_too():
    record = logging.LogRecord(
        "django.request",
        logging.ERROR,
        __file__,
        1,
        "Internal Server Error: %s",
        ("/api/carts/5d1c0a2b-9d8e-4f7a-8b6c-5d4e3f2a1b0c/checkout/",),
        None,
    )

    MaskIdsFilter().filter(record)

    assert record.getMessage() == "Internal Server Error: /api/carts/5d1c0a2b-****/checkout/"
