"""The compiled hot-path reads (servicekit.perf.db.CompiledLookup) read what the ORM reads."""

import uuid
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.forms.models import model_to_dict

from carts import selectors
from carts.errors import CartNotFound
from carts.models import Cart, CartItem
from servicekit.perf.db import CompiledLookup
from servicekit.testing import locked_elsewhere
from tests.factories import CartFactory, CartItemFactory

pytestmark = pytest.mark.django_db


def fields(obj) -> dict:
    return {f.name: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_a_cart_read_by_id_equals_the_orms_row():
    cart = CartFactory(percent_discount=True)

    assert fields(selectors.cart_get(cart_id=str(cart.id))) == fields(Cart.objects.get(pk=cart.pk))


def test_the_checkout_read_knows_whether_the_cart_has_items():
    empty, full = CartFactory(), CartFactory()
    CartItemFactory(cart=full)

    assert not selectors.cart_for_checkout(cart_id=empty.id).has_items  # 0 on SQLite
    assert bool(selectors.cart_for_checkout(cart_id=full.id).has_items) is True


def test_a_carts_lines_are_its_items_in_the_stored_order():
    cart = CartFactory()
    for sku in ("C", "A", "B"):
        CartItemFactory(cart=cart, sku=sku, unit_price=Decimal("1.25"), quantity=3)
    other = CartFactory()
    CartItemFactory(cart=other)

    lines = selectors.cart_get(cart_id=cart.id).lines

    assert [model_to_dict(i) for i in lines] == [model_to_dict(i) for i in cart.items.all()]
    assert [i.unit_price for i in lines] == [Decimal("1.25")] * 3


@pytest.mark.parametrize("cart_id", ["not-a-uuid", "00000000-0000-4000-8000-000000000000"])
def test_an_unknown_cart_is_not_found(cart_id):
    with pytest.raises(CartNotFound):
        selectors.cart_get(cart_id=cart_id)


def test_the_locked_read_equals_the_orms_row():
    cart = CartFactory(percent_discount=True)

    with transaction.atomic():
        locked = selectors.cart_locked(cart_id=cart.id)

    assert fields(locked) == fields(Cart.objects.get(pk=cart.pk))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_locked_read_holds_the_row_lock_until_the_transaction_ends():
    cart = CartFactory()

    with transaction.atomic():
        selectors.cart_locked(cart_id=cart.id)
        while_held = locked_elsewhere(Cart.objects.filter(pk=cart.pk))
    after = locked_elsewhere(Cart.objects.filter(pk=cart.pk))

    assert (while_held, after) == (True, False)


def test_reads_after_the_first_build_the_same_models_as_raw_does():
    """The first run goes through raw(); later runs reuse its plan (columns, converters)."""
    lookup = CompiledLookup(
        lambda: Cart.objects.order_by().annotate(
            has_items=Exists(CartItem.objects.filter(cart=OuterRef("pk")))
        ),
        "pk",
    )
    one, two = CartFactory(percent_discount=True), CartFactory()
    CartItemFactory(cart=one)

    first, again, other = lookup(one.pk), lookup(one.pk), lookup(two.pk)

    assert [fields(c) for c in again] == [fields(c) for c in first]
    assert fields(first[0]) == fields(Cart.objects.get(pk=one.pk))
    assert fields(other[0]) == fields(Cart.objects.get(pk=two.pk))
    assert (again[0].has_items, other[0].has_items) == (first[0].has_items, 0)
    assert isinstance(again[0].discount_value, Decimal)
    assert again[0].created_at.tzinfo is not None
    assert lookup(uuid.uuid4()) == []
