"""What catalog_service counts: admins' writes, price changes, lookups by sku."""

import pytest

from servicekit.observability.metrics import sample_value
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def writes(action):
    return sample_value("catalog_product_writes_total", {"action": action})


def prices(currency, change):
    return sample_value("catalog_price_changes_total", {"currency": currency, "change": change})


def lookups(result):
    return sample_value("catalog_sku_lookups_total", {"result": result})


def counted(read, keys):
    before = {k: read(*k) for k in keys}
    return lambda: {k: read(*k) - before[k] for k in keys if read(*k) != before[k]}


def test_a_create_counts_the_product_and_each_price_added(admin):
    delta = counted(
        lambda *k: writes(*k) if len(k) == 1 else prices(*k),
        [("created",), ("USD", "added"), ("EUR", "added"), ("GBP", "added")],
    )

    admin.post(
        "/api/products/",
        {"sku": "MUG-1", "name": "Mug", "prices": {"USD": "1", "EUR": "2"}},
        format="json",
    )

    assert delta() == {("created",): 1, ("USD", "added"): 1, ("EUR", "added"): 1}


def test_a_patch_counts_what_it_changed(admin):
    ProductFactory(sku="MUG-1", name="Mug", prices={"USD": "7.50", "EUR": "6.90"})
    keys = [
        ("renamed",),
        ("repriced",),
        ("deactivated",),
        ("reactivated",),
        ("USD", "changed"),
        ("EUR", "removed"),
        ("GBP", "added"),
        ("USD", "added"),
    ]
    delta = counted(lambda *k: writes(*k) if len(k) == 1 else prices(*k), keys)

    admin.patch(
        "/api/products/MUG-1/",
        {"name": "Big mug", "active": False, "prices": {"USD": "8.00", "GBP": "6.00"}},
        format="json",
    )
    admin.patch("/api/products/MUG-1/", {"name": "Big mug", "active": True}, format="json")

    assert delta() == {
        ("renamed",): 1,
        ("repriced",): 1,
        ("deactivated",): 1,
        ("reactivated",): 1,
        ("USD", "changed"): 1,
        ("EUR", "removed"): 1,
        ("GBP", "added"): 1,
    }


def test_a_patch_that_changes_nothing_counts_nothing(admin):
    ProductFactory(sku="MUG-1", name="Mug", prices={"USD": "7.50"})
    keys = [("renamed",), ("repriced",), ("deactivated",), ("reactivated",), ("USD", "changed")]
    delta = counted(lambda *k: writes(*k) if len(k) == 1 else prices(*k), keys)

    admin.patch("/api/products/MUG-1/", {"name": "Mug", "prices": {"USD": "7.5"}}, format="json")

    assert delta() == {}


def test_lookups_by_sku_are_counted_by_result(anon):
    ProductFactory(sku="MUG-1")
    ProductFactory(sku="OLD", active=False)
    delta = counted(lookups, [("found",), ("inactive",), ("not_found",)])

    anon.get("/api/products/MUG-1/")
    anon.get("/api/products/NOPE/")
    anon.get("/api/products/?sku=MUG-1&sku=OLD&sku=NADA&sku=ZIP")
    anon.get("/api/products/")  # a list is not a lookup by sku

    assert delta() == {("found",): 2, ("inactive",): 1, ("not_found",): 3}
