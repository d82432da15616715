"""The compiled hot read (servicekit.db.CompiledLookup) reads what the ORM reads."""

import pytest

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
