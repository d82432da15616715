"""The compiled hot read (servicekit.perf.db.CompiledLookup) reads what the ORM reads."""

import uuid
from decimal import Decimal

import pytest
from django.db import transaction

from discounts import selectors, services
from discounts.errors import DiscountNotFound
from discounts.models import Discount, Redemption
from servicekit.perf.db import CompiledLookup
from servicekit.testing import locked_elsewhere
from tests.factories import DiscountFactory, IssuedCodeFactory

pytestmark = pytest.mark.django_db


def fields(obj) -> dict:
    return {f.name: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_a_discount_read_by_code_equals_the_orms_row():
    DiscountFactory(code="OTHER1")
    discount = DiscountFactory(code="SAVE10", max_redemptions=5, times_redeemed=2)

    found = selectors.discount_get(code=" save10 ")

    assert fields(found) == fields(Discount.objects.get(pk=discount.pk))
    assert found.status == discount.status


def test_a_discount_with_rules_read_by_code_equals_the_orms_row():
    discount = DiscountFactory(
        code="MUGS20",
        currency="EUR",
        minimum_subtotal=Decimal("50.00"),
        minimum_items=3,
        skus=["MUG-1", "MUG-2"],
    )

    for _ in range(2):  # the first run compiles, the second runs the compiled SQL
        found = selectors.discount_get(code="MUGS20")
        assert fields(found) == fields(Discount.objects.get(pk=discount.pk))
    assert found.skus == ["MUG-1", "MUG-2"]
    assert found.minimum_subtotal == Decimal("50.00")


def test_an_unknown_code_is_not_found():
    with pytest.raises(DiscountNotFound):
        selectors.discount_get(code="NOPE42")


def test_the_locked_read_equals_the_orms_row():
    discount = DiscountFactory(code="SAVE10", max_redemptions=5, times_redeemed=2)

    with transaction.atomic():
        locked = selectors.discount_locked(code="save10")

    assert fields(locked) == fields(Discount.objects.get(pk=discount.pk))


def test_an_unknown_or_malformed_code_is_not_found_when_locking_too():
    with transaction.atomic(), pytest.raises(DiscountNotFound):
        selectors.discount_locked(code="NOPE42")
    with transaction.atomic(), pytest.raises(DiscountNotFound):
        selectors.discount_locked(code="no spaces allowed!")


def test_the_promotion_locked_through_an_issued_code_equals_the_orms_row():
    issued = IssuedCodeFactory(discount=DiscountFactory(promotion=True, skus=["MUG-1"]))

    for _ in range(2):
        with transaction.atomic():
            locked = selectors.code_locked(code=issued.code.lower())
        assert fields(locked) == fields(Discount.objects.get(pk=issued.discount.pk))
        assert locked.issued.code == issued.code


def test_the_holder_of_an_issued_code_equals_the_orms_row():
    held, free = IssuedCodeFactory.create_batch(2, discount=DiscountFactory(promotion=True))
    services.discount_redeem(code=held.code, cart_id=uuid.uuid4())

    for _ in range(2):
        [holder] = services._holder(held.pk)
        assert fields(holder) == fields(Redemption.objects.get(issued_code=held))
    assert services._holder(free.pk) == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_locked_read_holds_the_row_lock_until_the_transaction_ends():
    discount = DiscountFactory(code="SAVE10")

    with transaction.atomic():
        selectors.discount_locked(code="SAVE10")
        while_held = locked_elsewhere(Discount.objects.filter(pk=discount.pk))
    after = locked_elsewhere(Discount.objects.filter(pk=discount.pk))

    assert (while_held, after) == (True, False)


@pytest.mark.postgres
def test_postgresql_prepares_the_hot_read_once_it_repeats():
    from django.db import connection

    DiscountFactory(code="SAVE10")
    for _ in range(6):  # psycopg prepares a statement on its 5th run on a connection
        selectors.discount_get(code="SAVE10")

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "discounts_discount"' in sql and "$1" in sql for sql in prepared), prepared


def test_a_redemption_read_by_discount_and_cart_equals_the_orms_row():
    save, other = DiscountFactory(code="SAVE10"), DiscountFactory(code="OTHER1")
    cart, another_cart = uuid.uuid4(), uuid.uuid4()
    services.discount_redeem(code="SAVE10", cart_id=cart)
    services.discount_redeem(code="OTHER1", cart_id=another_cart)

    for _ in range(2):  # the first run compiles, the second runs the compiled SQL
        [held] = services._held(save.pk, cart)
        assert fields(held) == fields(Redemption.objects.get(discount=save, cart_id=cart))
    assert services._held(save.pk, another_cart) == []
    assert services._held(other.pk, cart) == []
    assert services._held(other.pk, str(another_cart))[0].cart_id == another_cart


def test_values_that_cannot_be_told_apart_are_read_uncompiled_then_compiled():
    discount = DiscountFactory(code="SAVE10")
    lookup = CompiledLookup(lambda: Discount.objects.order_by(), "pk", "times_redeemed")
    Discount.objects.filter(pk=discount.pk).update(times_redeemed=discount.pk)

    # Both values are the same number: which parameter is which cannot be told.
    assert [d.pk for d in lookup(discount.pk, discount.pk)] == [discount.pk]
    assert lookup._plans == {}
    assert lookup(discount.pk, discount.pk + 1) == []
    assert [d.pk for d in lookup(discount.pk, discount.pk)] == [discount.pk]
    assert list(lookup._plans) == ["default"]


def test_one_field_equal_to_a_constant_of_the_query_is_refused():
    DiscountFactory(code="SAVE10", max_redemptions=5)
    lookup = CompiledLookup(lambda: Discount.objects.filter(max_redemptions=5), "times_redeemed")

    with pytest.raises(ValueError, match="not one parameter"):
        lookup(5)
    with pytest.raises(TypeError, match="2 values expected"):
        CompiledLookup(lambda: Discount.objects.all(), "pk", "code")(1)
