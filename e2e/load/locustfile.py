"""Load: the shopper journey and discount lookups, against a running stack.

    locust -f e2e/load/locustfile.py --headless -u 10 -r 5 -t 30s \
        --host http://127.0.0.1:8002 --csv reports/load --html reports/load.html

cart_service is the host; discount_service is ``DISCOUNT_URL`` (default
http://127.0.0.1:8001), catalog_service ``CATALOG_URL`` (default http://127.0.0.1:8004). The
discount codes and the products used are created at start with the admin tokens. Every non-2xx answer counts as a failure, so a run with any error
fails (``--exit-code-on-error`` defaults to 1).
"""

from __future__ import annotations

import os
import random
import uuid

import requests
from locust import HttpUser, between, events, task

DISCOUNT_URL = os.environ.get("DISCOUNT_URL", "http://127.0.0.1:8001")
CATALOG_URL = os.environ.get("CATALOG_URL", "http://127.0.0.1:8004")
ADMIN = {"Authorization": f"Bearer {os.environ.get('DISCOUNT_ADMIN_TOKEN', 'dev-admin-token')}"}
CATALOG_ADMIN = {
    "Authorization": "Bearer " + os.environ.get("CATALOG_ADMIN_TOKEN", "dev-catalog-admin-token")
}
SERVICE = {
    "Authorization": "Bearer "
    + os.environ.get("DISCOUNT_SERVICE_TOKEN", "dev-discount-service-token")
}
CODES: list[str] = []
SKUS: list[str] = []
PRODUCTS = [("MUG", "Mug", "7.50"), ("PEN", "Pen", "1.25"), ("CAP", "Cap", "4.99")]


@events.test_start.add_listener
def create_codes_and_products(environment, **_):
    run = uuid.uuid4().hex[:6].upper()
    for sku, name, price in PRODUCTS:
        response = requests.post(
            f"{CATALOG_URL}/api/products/",
            headers=CATALOG_ADMIN,
            timeout=10,
            json={"sku": f"LOAD-{run}-{sku}", "name": name, "prices": {"USD": price}},
        )
        response.raise_for_status()
        SKUS.append(response.json()["sku"])
    for i, value in enumerate(("5.00", "10.00", "15.00")):
        code = f"LOAD-{run}-{i}"
        response = requests.post(
            f"{DISCOUNT_URL}/api/discounts/",
            headers=ADMIN,
            timeout=10,
            json={"code": code, "kind": "percent", "value": value},
        )
        response.raise_for_status()
        CODES.append(code)


class Shopper(HttpUser):
    """Creates a cart, adds items, applies a code and checks out (cart_service)."""

    wait_time = between(0.1, 0.5)
    weight = 3

    @task
    def shop(self) -> None:
        cart = self.client.post("/api/carts/", json={"currency": "USD"}, name="create cart").json()
        cart_id = cart["id"]
        for sku in random.sample(SKUS, k=2):  # priced by the catalog
            self.client.post(
                f"/api/carts/{cart_id}/items/", name="add item", json={"sku": sku, "quantity": 1}
            )
        self.client.put(
            f"/api/carts/{cart_id}/discount/",
            json={"code": random.choice(CODES)},
            name="apply code",
        )
        with self.client.post(
            f"/api/carts/{cart_id}/checkout/", name="checkout", catch_response=True
        ) as response:
            if response.status_code != 200 or response.json()["payment_status"] != "paid":
                response.failure(f"checkout: {response.status_code} {response.text[:200]}")


class DiscountLookup(HttpUser):
    """What cart_service does on every code: look a discount up (discount_service)."""

    wait_time = between(0.05, 0.2)
    weight = 1

    @task
    def lookup(self) -> None:
        # An absolute URL: --host is cart_service's.
        self.client.get(
            f"{DISCOUNT_URL}/api/discounts/{random.choice(CODES).lower()}/",
            headers=SERVICE,
            name="lookup discount",
        )
