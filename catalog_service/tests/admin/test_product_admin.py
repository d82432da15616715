"""catalog_service's admin: products and their prices, written through the services."""

from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry

from products.models import Product
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/products/product/"


def product_form(prices: list[tuple[str, str]], existing: int = 0, **fields) -> dict:
    form = {
        "sku": " mug-2 ",
        "name": "Big mug",
        "active": "on",
        "reason": "new line",
        "prices-TOTAL_FORMS": str(len(prices)),
        "prices-INITIAL_FORMS": str(existing),
    }
    for n, (currency, amount) in enumerate(prices):
        form[f"prices-{n}-currency"] = currency
        form[f"prices-{n}-amount"] = amount
    form.update(fields)
    return form


def prices_of(sku: str) -> dict[str, Decimal]:
    return Product.objects.get(sku=sku).price_map


def test_a_product_is_put_on_sale_with_its_prices(actor):
    response = actor.post(f"{CHANGELIST}add/", product_form([("USD", "9.50"), ("EUR", "8.70")]))

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert prices_of("MUG-2") == {"EUR": Decimal("8.70"), "USD": Decimal("9.50")}
    [entry] = LogEntry.objects.all()
    assert entry.user.username == "ada"
    assert "new line" in entry.change_message


def test_a_price_is_changed_and_another_removed_through_the_service(actor):
    product = ProductFactory(sku="MUG-1")  # USD 7.50, EUR 6.90
    eur, usd = product.prices.order_by("currency")
    form = product_form([("EUR", "6.90"), ("USD", "8.00")], existing=2, reason="new price")
    form.update({"prices-0-id": eur.pk, "prices-0-DELETE": "on", "prices-1-id": usd.pk})

    response = actor.post(f"{CHANGELIST}{product.pk}/change/", form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert prices_of("MUG-1") == {"USD": Decimal("8.00")}
    assert Product.objects.get(pk=product.pk).updated_at > product.updated_at
    assert "new price" in LogEntry.objects.get().change_message


@pytest.mark.parametrize(
    ("prices", "fields"),
    [
        ([("USD", "-1.00")], {}),  # no negative price
        ([("USD", "1.00"), ("USD", "2.00")], {}),  # one price per currency
        ([("XYZ", "1.00")], {}),  # a currency the shop does not sell in
        ([("USD", "1.00")], {"sku": "no spaces!"}),
        ([("USD", "1.00")], {"reason": ""}),
    ],
)
def test_a_product_breaking_a_rule_is_not_saved(actor, prices, fields):
    response = actor.post(f"{CHANGELIST}add/", product_form(prices, **fields))

    assert response.status_code == 200
    assert not Product.objects.exists()


def test_the_read_only_group_sees_but_cannot_change(viewer):
    product = ProductFactory(sku="MUG-1")

    page = viewer.get(f"{CHANGELIST}{product.pk}/change/")
    viewer.post(f"{CHANGELIST}{product.pk}/change/", product_form([], name="Renamed"))

    assert page.status_code == 200
    assert viewer.get(f"{CHANGELIST}add/").status_code == 403
    assert Product.objects.get(pk=product.pk).name == product.name
