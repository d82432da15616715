"""What discount_service counts: redemptions and releases by result."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from servicekit.observability.metrics import sample_value
from tests.factories import DiscountFactory, IssuedCodeFactory

pytestmark = pytest.mark.django_db


def redemptions(result):
    return sample_value("discount_redemptions_total", {"result": result})


def releases(result):
    return sample_value("discount_releases_total", {"result": result})


def test_redemptions_are_counted_by_result(service):
    DiscountFactory(code="SAVE10")
    DiscountFactory(
        code="OLD",
        ends_at=timezone.now() - timedelta(seconds=1),
        starts_at=timezone.now() - timedelta(days=2),
    )
    before = {r: redemptions(r) for r in ("created", "already_held", "refused")}
    cart_id = str(uuid.uuid4())

    service.post("/api/discounts/SAVE10/redemptions/", {"cart_id": cart_id}, format="json")
    service.post("/api/discounts/SAVE10/redemptions/", {"cart_id": cart_id}, format="json")
    refused = service.post("/api/discounts/OLD/redemptions/", {"cart_id": cart_id}, format="json")

    assert refused.status_code == 422
    assert {r: redemptions(r) - before[r] for r in before} == {
        "created": 1,
        "already_held": 1,
        "refused": 1,
    }


def test_releases_are_counted_by_result(service):
    DiscountFactory(code="SAVE10")
    cart_id = str(uuid.uuid4())
    service.post("/api/discounts/SAVE10/redemptions/", {"cart_id": cart_id}, format="json")
    released, nothing = releases("released"), releases("nothing_held")

    service.delete(f"/api/discounts/SAVE10/redemptions/{cart_id}/")
    service.delete(f"/api/discounts/SAVE10/redemptions/{cart_id}/")

    assert (releases("released"), releases("nothing_held")) == (released + 1, nothing + 1)


def test_a_use_moved_to_another_code_of_a_promotion_is_counted(service):
    first, second = IssuedCodeFactory.create_batch(2, discount=DiscountFactory(promotion=True))
    cart_id = str(uuid.uuid4())
    service.post(f"/api/discounts/{first.code}/redemptions/", {"cart_id": cart_id}, format="json")
    moved = redemptions("moved")

    service.post(f"/api/discounts/{second.code}/redemptions/", {"cart_id": cart_id}, format="json")

    assert redemptions("moved") == moved + 1


def test_eligibility_checks_are_counted_by_result(service):
    DiscountFactory(code="SAVE10")
    DiscountFactory(code="FOUR", minimum_items=4)
    cart = {"currency": "USD", "items": [{"sku": "A", "quantity": 1, "unit_price": "1.00"}]}
    before = {r: checks(r) for r in ("eligible", "refused")}

    service.post("/api/discounts/SAVE10/eligibility/", {"cart": cart}, format="json")
    service.post("/api/discounts/FOUR/eligibility/", {"cart": cart}, format="json")

    assert {r: checks(r) - before[r] for r in before} == {"eligible": 1, "refused": 1}


def test_issued_codes_are_counted(admin):
    DiscountFactory(code="NEWSLETTER", promotion=True)
    before = sample_value("discount_codes_issued_total", {})

    admin.post("/api/discounts/NEWSLETTER/codes/", {"count": 7}, format="json")

    assert sample_value("discount_codes_issued_total", {}) == before + 7


def checks(result):
    return sample_value("discount_eligibility_checks_total", {"result": result})
