"""The compiled hot read (servicekit.db.CompiledLookup) reads what the ORM reads."""

import pytest
from django.db import transaction

from discounts import selectors
from discounts.errors import DiscountNotFound
from discounts.models import Discount
from servicekit.testing import locked_elsewhere
from tests.factories import DiscountFactory

pytestmark = pytest.mark.django_db


def fields(obj) -> dict:
    return {f.name: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_a_discount_read_by_code_equals_the_orms_row():
    DiscountFactory(code="OTHER1")
    discount = DiscountFactory(code="SAVE10", max_redemptions=5, times_redeemed=2)

    found = selectors.discount_get(code=" save10 ")

    assert fields(found) == fields(Discount.objects.get(pk=discount.pk))
    assert found.status == discount.status


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
