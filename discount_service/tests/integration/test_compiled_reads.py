"""The compiled hot read (servicekit.db.CompiledLookup) reads what the ORM reads."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import OperationalError, connection, transaction

from discounts import selectors
from discounts.errors import DiscountNotFound
from discounts.models import Discount
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

    def try_to_lock() -> str:
        try:
            with transaction.atomic():
                list(Discount.objects.select_for_update(nowait=True).filter(pk=discount.pk))
            return "got the lock"
        except OperationalError:
            return "locked by the other transaction"
        finally:
            connection.close()  # the thread's own connection

    with transaction.atomic():
        selectors.discount_locked(code="SAVE10")
        with ThreadPoolExecutor(1) as pool:
            while_held = pool.submit(try_to_lock).result(timeout=30)
    with ThreadPoolExecutor(1) as pool:
        after = pool.submit(try_to_lock).result(timeout=30)

    assert (while_held, after) == ("locked by the other transaction", "got the lock")
