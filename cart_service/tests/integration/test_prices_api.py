"""Prices that move between adding a line and checking out, through the HTTP API."""

import json
from datetime import timedelta

import pytest
import responses
from django.utils import timezone

from carts.models import Cart
from servicekit.testing import assert_problem
from tests.fakes import succeeded_payment_answer

pytestmark = pytest.mark.django_db

PAYMENTS = "http://127.0.0.1:8003/api/payments/"


def test_a_price_that_moved_is_shown_before_it_is_charged(anon, mocked, catalog_products):
    mocked.add_callback(responses.POST, PAYMENTS, callback=succeeded_payment_answer)
    cart = anon.post(
        "/api/carts/",
        {"currency": "USD", "items": [{"sku": "MUG-1", "quantity": 2}]},
        format="json",
    ).json()
    Cart.objects.filter(pk=cart["id"]).update(
        prices_checked_at=timezone.now() - timedelta(seconds=301)  # CART_PRICE_MAX_AGE 300
    )
    catalog_products["MUG-1"]["prices"]["USD"] = "1.50"  # a sale started meanwhile

    changed = anon.post(f"/api/carts/{cart['id']}/checkout/")

    body = assert_problem(changed, 409, "prices_changed")
    assert body["skus"] == ["MUG-1"]
    assert (body["cart"]["items"][0]["unit_price"], body["cart"]["total"]) == ("1.50", "3.00")
    assert not [c for c in mocked.calls if c.request.method == "POST"]  # nothing charged
    paid = anon.post(f"/api/carts/{cart['id']}/checkout/")
    assert (paid.status_code, paid.json()["payment_status"]) == (200, "paid")
    charged = [json.loads(c.request.body) for c in mocked.calls if c.request.method == "POST"]
    assert [c["amount"] for c in charged] == ["3.00"]  # the total the shopper was shown
