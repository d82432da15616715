"""payment_service's admin: operators read payments, refunds and keys; nobody changes them,
not even a superuser."""

from decimal import Decimal

import pytest

from payments.models import IdempotencyKey, Payment, Refund
from tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db

KEY = "cart-0b6f3c1e-0000-4000-8000-000000000042-attempt-1-" + "f" * 32


@pytest.fixture
def charged():
    payment = PaymentFactory(amount=Decimal("16.00"))
    Refund.objects.create(payment=payment, amount=Decimal("1.00"), status="succeeded")
    IdempotencyKey.objects.create(
        caller="service",
        key=KEY,
        fingerprint="x",
        state="completed",
        response_status=201,
        response_body=b"{}",
        payment=payment,
    )
    return payment


@pytest.mark.parametrize("who", ["viewer", "actor", "superuser"])
def test_operators_see_payments_with_their_refunds(request, who, charged):
    browser = request.getfixturevalue(who)

    listed = browser.get("/admin/payments/payment/", {"q": charged.reference})
    page = browser.get(f"/admin/payments/payment/{charged.pk}/change/")

    assert list(listed.context["cl"].result_list) == [charged]
    assert page.status_code == 200
    assert "16.00" in page.content.decode()
    assert "1.00" in page.content.decode()


@pytest.mark.parametrize(
    "model", ["payments/payment", "payments/refund", "payments/idempotencykey"]
)
def test_nobody_adds_changes_or_deletes_not_even_a_superuser(superuser, charged, model):
    row = {
        "payments/payment": charged,
        "payments/refund": charged.refunds.get(),
        "payments/idempotencykey": IdempotencyKey.objects.get(),
    }[model]
    base = f"/admin/{model}/"

    add = superuser.get(f"{base}add/")
    superuser.post(f"{base}{row.pk}/change/", {"amount": "0.01", "state": "in_progress"})
    delete = superuser.post(f"{base}{row.pk}/delete/", {"post": "yes"})
    bulk = superuser.post(
        base, {"action": "delete_selected", "_selected_action": [str(row.pk)], "post": "yes"}
    )

    assert add.status_code == 403
    assert delete.status_code == 403
    assert bulk.status_code in (200, 302)
    assert type(row).objects.filter(pk=row.pk).exists()
    assert Payment.objects.get(pk=charged.pk).amount == Decimal("16.00")
    assert IdempotencyKey.objects.get().state == "completed"


def test_a_keys_secret_tail_and_stored_answer_are_not_shown(viewer, charged):
    key = IdempotencyKey.objects.get()

    page = viewer.get(f"/admin/payments/idempotencykey/{key.pk}/change/").content.decode()

    assert KEY not in page
    assert KEY[:-16] in page


def test_the_groups_only_view_payments(db):
    from django.contrib.auth.models import Group

    for name in ("operators-read", "operators-act"):
        codenames = Group.objects.get(name=name).permissions.values_list("codename", flat=True)
        assert all(codename.startswith("view_") for codename in codenames)
