"""The owed-release protocol: uses of discount codes a cart holds and no longer needs.

A use is recorded as owed (a ``carts_owedrelease`` row per (cart, code), and the cart's
``releases_owed`` flag) in the same transaction that stops needing it: a discount removed
or replaced, a declined or refused attempt, a checkout that ended without charging, a
checkout that stopped at the redeem step and was left there. The row is deleted only when
discount_service confirms the release (204).

One releaser at a time per owed row: each is claimed with the reconciler's lease before
the call (``CART_RECONCILE_LEASE``), a row someone else is releasing stays owed, and a
failed release frees the claim. Two releases in flight for one use could be answered in
any order, and one landing after the checkout that followed redeemed again would take that
checkout's use. A use owed again while a release of it is in flight (a redeem that landed
after it) bumps the row's ``generation``: that release then deletes the row only at the
generation it was sent for, and sends another instead.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from carts.clients.ports import DiscountProvider
from carts.errors import DiscountServiceUnavailable
from carts.models import Cart, OwedRelease
from servicekit.perf.db import save_fields

logger = logging.getLogger(__name__)


def owe_release(cart: Cart, code: str) -> None:
    """Record that the cart's use of ``code`` is to be given back.

    Called inside the transaction that stops needing the use, with the cart row locked
    or being updated; the caller saves the cart's ``releases_owed`` and
    ``redemption_held``.
    """
    OwedRelease.objects.bulk_create([OwedRelease(cart=cart, code=code)], ignore_conflicts=True)
    cart.releases_owed = True
    cart.redemption_held = False


def owe_release_of(cart: Cart, code: str) -> None:
    """Record that a use of ``code``, a code the cart no longer has, is to be given back.

    Under the cart's row lock. Unlike :func:`owe_release`, the cart's own code and the use
    it may hold of that are left as they are; only the owed row and the flag are written.
    """
    # If the row is there already, a release of it may be in flight and have landed before
    # the redeem that made this use: a new generation makes that release send another.
    # Bumped before the insert, so a release deleting the row in between cannot be missed.
    OwedRelease.objects.filter(cart=cart, code=code).update(generation=F("generation") + 1)
    OwedRelease.objects.bulk_create([OwedRelease(cart=cart, code=code)], ignore_conflicts=True)
    if not cart.releases_owed:
        cart.releases_owed = True
        save_fields(cart, ["releases_owed"])


def releases_give_back(
    *,
    cart_id: uuid.UUID,
    discount_client: DiscountProvider,
    owed: list[OwedRelease] | None = None,
    code: str | None = None,
    claimed: bool = False,
) -> tuple[int, int]:
    """Release the uses the cart owes (or just ``owed``, or those of ``code``); (released,
    still owed).

    Called outside any transaction. Each row is claimed first (``claimed``: the caller,
    the reconciler, holds the claim already); a row someone else is releasing is skipped.
    """
    if owed is None:
        of_cart = OwedRelease.objects.filter(cart_id=cart_id)
        owed = list(of_cart if code is None else of_cart.filter(code=code))
    released = 0
    for row in owed:
        if not claimed and not _claim(row):
            continue  # being given back by someone else
        if _release_row(cart_id, row, discount_client):
            released += 1
        else:  # free the claim: the next releaser need not wait for the lease to run out
            OwedRelease.objects.filter(pk=row.pk).update(claimed_until=None)
    if released:
        _clear_releases_owed(cart_id)
    return released, len(owed) - released


def _release_quietly(cart_id: object, code: str, discount_client: DiscountProvider) -> bool:
    """Give back a use of ``code`` the cart may hold; whether discount_service confirmed it.

    A failure is logged; the owed row stays for the next try.
    """
    try:
        discount_client.release(code, str(cart_id))
    except DiscountServiceUnavailable:
        logger.warning("release of %s for cart %s failed; it stays owed", code, cart_id)
        return False
    logger.info("released discount %s held by cart %s", code, cart_id)
    return True


def _release_row(cart_id: object, row: OwedRelease, discount_client: DiscountProvider) -> bool:
    """Release the claimed row's use; whether it is given back and the row deleted.

    The row is deleted only at the generation this release was sent for. If it was owed
    again meanwhile (``owe_release_of``: a redeem may have landed after our release), the
    use is released again, a few times at most; after that it stays owed.
    """
    for _ in range(3):
        if not _release_quietly(cart_id, row.code, discount_client):
            return False
        deleted, _ = OwedRelease.objects.filter(pk=row.pk, generation=row.generation).delete()
        if deleted:
            return True
        again = OwedRelease.objects.filter(pk=row.pk).first()
        if again is None:
            return True  # deleted by another releaser meanwhile
        row = again
    return False


def _claim(row: OwedRelease) -> bool:
    """Take the lease on an owed release, as the reconciler does; whether we got it."""
    now = timezone.now()
    claimed = OwedRelease.objects.filter(lease_free("claimed_until", now), pk=row.pk)
    return bool(claimed.update(claimed_until=lease_end(now)))


def lease_free(field: str, now: datetime) -> Q:
    """Rows whose lease ``field`` (a time it runs until) is unset or has run out at ``now``."""
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lt": now})


def lease_end(now: datetime) -> datetime:
    """Until when a lease taken at ``now`` holds (``CART_RECONCILE_LEASE``)."""
    return now + timedelta(seconds=settings.CART_RECONCILE_LEASE)


def _clear_releases_owed(cart_id: uuid.UUID) -> None:
    """Clear the flag once no release is owed, under the row lock that guards its setting."""
    with transaction.atomic():
        list(Cart.objects.select_for_update().filter(pk=cart_id).values_list("pk"))
        Cart.objects.filter(pk=cart_id, releases_owed=True).exclude(
            Exists(OwedRelease.objects.filter(cart_id=OuterRef("pk")))
        ).update(releases_owed=False)
