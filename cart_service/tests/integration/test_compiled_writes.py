"""The compiled hot-path writes (servicekit.perf.db.update_where, save_fields, create) write what the ORM
writes, on the database the suite runs on (SQLite, and PostgreSQL in make test-postgres)."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F
from django.db.models.signals import post_save
from django.utils import timezone

from carts.models import Cart, OwedRelease
from carts.states import PaymentStatus
from servicekit.perf.db import create, save_fields, update_where
from tests.factories import CartFactory

pytestmark = pytest.mark.django_db

SAME = ("id", "created_at", "payment_key_secret", "prices_checked_at")  # differ by construction


def row(cart: Cart) -> dict:
    cart = Cart.objects.get(pk=cart.pk)
    return {
        f.name: getattr(cart, f.attname) for f in Cart._meta.concrete_fields if f.name not in SAME
    }


def twins(**kwargs) -> tuple[Cart, Cart]:
    return CartFactory(**kwargs), CartFactory(**kwargs)


def test_a_settle_writes_the_same_row_as_the_orm():
    by_orm, by_us = twins(checkout_attempt=3, attempt_unresolved=True)
    outcome = {
        "attempt_unresolved": False,
        "payment_status": PaymentStatus.PAID,
        "last_payment_id": str(uuid.uuid4()),
        "last_payment_status": "succeeded",
        "last_payment_decline_code": "",
        "redemption_held": False,
        "releases_owed": True,
        "updated_at": timezone.now(),
    }

    orm_rows = Cart.objects.filter(
        pk=by_orm.pk, checkout_attempt=3, attempt_unresolved=True
    ).update(**outcome)
    our_rows = update_where(
        Cart, {"pk": by_us.pk, "checkout_attempt": 3, "attempt_unresolved": True}, outcome
    )

    assert (our_rows, orm_rows) == (1, 1)
    assert row(by_us) == row(by_orm)
    assert row(by_us)["payment_status"] == PaymentStatus.PAID


def test_a_where_that_matches_nothing_changes_nothing_and_says_so():
    cart = CartFactory(checkout_attempt=2, attempt_unresolved=True)
    before = row(cart)

    changed = update_where(
        Cart,
        {"pk": cart.pk, "checkout_attempt": 1, "attempt_unresolved": True},
        {"attempt_unresolved": False},
    )

    assert changed == 0
    assert row(cart) == before


def test_saving_fields_writes_the_same_row_as_save_and_moves_updated_at():
    by_orm, by_us = twins()
    for cart in (by_orm, by_us):
        cart.discount_code, cart.discount_kind = "SAVE10", "percent"
        cart.discount_value, cart.discount_currency = Decimal("12.50"), ""
        cart.updated_at = timezone.now() - timedelta(days=1)
    fields = ["discount_code", "discount_kind", "discount_value", "discount_currency", "updated_at"]

    by_orm.save(update_fields=fields)
    save_fields(by_us, fields)

    assert row(by_us) == {**row(by_orm), "updated_at": row(by_us)["updated_at"]}
    assert row(by_us)["discount_value"] == Decimal("12.50")
    assert timezone.now() - row(by_us)["updated_at"] < timedelta(minutes=1)  # auto_now
    assert by_us.updated_at == row(by_us)["updated_at"]


def test_saving_a_row_that_is_gone_fails_as_save_does():
    cart = CartFactory()
    Cart.objects.filter(pk=cart.pk).delete()

    with pytest.raises(DatabaseError, match="did not affect any rows"):
        save_fields(cart, ["discount_code"])


def test_a_relation_takes_the_model_or_its_key():
    first, second = CartFactory(), CartFactory()
    owed = OwedRelease.objects.create(cart=first, code="SAVE10")

    update_where(OwedRelease, {"pk": owed.pk}, {"cart": second})
    moved = OwedRelease.objects.get(pk=owed.pk).cart_id
    update_where(OwedRelease, {"pk": owed.pk}, {"cart": first.pk})

    assert (moved, OwedRelease.objects.get(pk=owed.pk).cart_id) == (second.pk, first.pk)


@pytest.mark.parametrize(
    ("where", "values", "why"),
    [
        # = NULL would match nothing
        ({"pk": 1, "discount_code": None}, {"discount_code": "X"}, "IS NULL"),
        ({"pk": 1}, {"checkout_attempt": F("checkout_attempt") + 1}, "not expressions"),
        ({"pk": 1}, {"items": 1}, "concrete fields"),  # not a column of the cart
        ({}, {"discount_code": "X"}, "at least one WHERE"),  # every row
    ],
)
def test_what_the_statement_would_not_mean_as_the_orm_does_is_refused(where, values, why):
    with pytest.raises(ValueError, match=why):
        update_where(Cart, where, values)


def test_a_created_cart_is_the_row_the_orm_creates():
    ours = create(Cart, currency="EUR")
    theirs = Cart.objects.create(currency="EUR")

    stamps = ("updated_at",)  # auto_now: a moment apart
    assert {k: v for k, v in row(ours).items() if k not in stamps} == {
        k: v for k, v in row(theirs).items() if k not in stamps
    }
    assert ours.updated_at == Cart.objects.get(pk=ours.pk).updated_at
    assert ours._state.adding is False
    assert ours._state.db == "default"
    assert timezone.now() - Cart.objects.get(pk=ours.pk).created_at < timedelta(minutes=1)


def test_a_created_row_gets_its_auto_increment_key_and_keeps_creating():
    cart = CartFactory()

    first = create(OwedRelease, cart=cart, code="SAVE10")  # compiles
    second = create(OwedRelease, cart=cart, code="SAVE20")  # runs the kept SQL

    stored = {o.pk: (o.cart_id, o.code) for o in OwedRelease.objects.filter(cart=cart)}
    assert stored == {first.pk: (cart.pk, "SAVE10"), second.pk: (cart.pk, "SAVE20")}
    assert isinstance(first.pk, int)
    assert second.pk > first.pk


def test_a_create_that_breaks_a_constraint_raises_as_the_orm_does():
    cart = create(Cart, currency="USD")

    with pytest.raises(IntegrityError), transaction.atomic():
        create(Cart, id=cart.pk, currency="USD")


def test_saving_fields_of_a_model_with_save_receivers_is_save_and_they_fire():
    cart = create(Cart, currency="USD")
    seen = []

    def receiver(sender, instance, created, update_fields, **kwargs):
        seen.append((instance.pk, created, set(update_fields)))

    post_save.connect(receiver, sender=Cart)
    try:
        cart.payment_status = PaymentStatus.PAID
        save_fields(cart, ["payment_status", "updated_at"])
    finally:
        post_save.disconnect(receiver, sender=Cart)

    assert seen == [(cart.pk, False, {"payment_status", "updated_at"})]
    assert Cart.objects.get(pk=cart.pk).payment_status == PaymentStatus.PAID


def test_a_model_with_a_save_receiver_is_saved_by_save():
    seen = []

    def receiver(sender, instance, created, **kwargs):
        seen.append((instance.pk, created))

    post_save.connect(receiver, sender=Cart)
    try:
        cart = create(Cart, currency="USD")
    finally:
        post_save.disconnect(receiver, sender=Cart)

    assert seen == [(cart.pk, True)]
