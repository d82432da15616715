"""Writes of payment_service: taking a payment exactly once per Idempotency-Key.

The protocol, in two short committed transactions:

1. claim: insert the key ``in_progress`` (one statement in autocommit: the unique
   constraint decides a race), or take over a claim older than
   ``PAYMENT_IDEMPOTENCY_LOCK_TIMEOUT`` with a conditional UPDATE;
2. charge: create the payment and mark the key ``completed`` with the rendered response,
   in ONE transaction, and only while this request still owns the claim.

So a key is either free, claimed with no payment, or completed with exactly one payment.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from payments.domain import (
    Decision,
    KeyRecord,
    idempotency_decide,
    payment_outcome,
    request_fingerprint,
)
from payments.errors import IdempotencyKeyInUse, IdempotencyKeyReused
from payments.metrics import CONFLICTS, PAYMENTS, REPLAYS
from payments.models import IdempotencyKey, Payment
from servicekit.perf.db import create, update_where

logger = logging.getLogger(__name__)

# A lost race re-reads the key; more rounds than this means it is contended: 409.
_MAX_ROUNDS = 3


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: bytes
    replayed: bool


def payment_create(
    *,
    idempotency_key: str,
    reference: str,
    amount: Decimal,
    currency: str,
    render: Callable[[Payment], bytes],
) -> StoredResponse:
    """Take a payment once per key; a repeat of the same request gets the stored response.

    ``render`` turns the new payment into the response body. It runs inside the charge
    transaction because those exact bytes are stored with the payment for replays.
    Raises IdempotencyKeyReused (different body) or IdempotencyKeyInUse (in flight).
    """
    fingerprint = request_fingerprint(reference=reference, amount=amount, currency=currency)
    lock_timeout = timedelta(seconds=settings.PAYMENT_IDEMPOTENCY_LOCK_TIMEOUT)
    for _ in range(_MAX_ROUNDS):
        # Most keys are new: try the claim first and read the key only when it exists.
        token = _key_claim(key=idempotency_key, fingerprint=fingerprint)
        if token is None:
            row = IdempotencyKey.objects.filter(key=idempotency_key).first()
            if row is None:
                continue  # the claim was released meanwhile: claim again
            record = KeyRecord(
                fingerprint=row.fingerprint,
                completed=row.state == IdempotencyKey.State.COMPLETED,
                updated_at=row.updated_at,
            )
            decision = idempotency_decide(
                record=record,
                fingerprint=fingerprint,
                now=timezone.now(),
                lock_timeout=lock_timeout,
            )
            if decision is Decision.REPLAY:
                REPLAYS.inc()
                status, body = row.response_status, row.response_body
                if status is None or body is None:  # a table constraint rules it out
                    raise RuntimeError(f"idempotency key {row.pk} completed without a response")
                return StoredResponse(status, bytes(body), replayed=True)
            if decision is Decision.REUSED:
                raise _refused(IdempotencyKeyReused())
            if decision is Decision.IN_USE:
                raise _refused(IdempotencyKeyInUse())
            token = _key_take_over(row=row)
            if token is None:
                continue  # another request moved first: look again
        return _charge(
            key=idempotency_key,
            token=token,
            reference=reference,
            amount=amount,
            currency=currency,
            render=render,
        )
    raise _refused(IdempotencyKeyInUse())


def _refused(error: IdempotencyKeyInUse | IdempotencyKeyReused):
    CONFLICTS.labels(error.code).inc()
    return error


def _key_claim(*, key: str, fingerprint: str) -> uuid.UUID | None:
    """Insert an in-progress claim, committed at once; None if taken.

    One INSERT in autocommit is a transaction of its own, committed when it returns, with
    no BEGIN and COMMIT round trips around it (as the take-over and the release). Inside a
    transaction, which only a test's can be (``durable=True`` refuses any other), it runs
    under a savepoint, so a refused INSERT leaves that transaction usable.
    """
    token = uuid.uuid4()
    now = timezone.now()
    claim = {
        "key": key,
        "fingerprint": fingerprint,
        "state": IdempotencyKey.State.IN_PROGRESS,
        "claim_token": token,
        "created_at": now,
        "updated_at": now,
    }
    try:
        if transaction.get_connection().in_atomic_block:
            with transaction.atomic(durable=True):
                create(IdempotencyKey, **claim)
        else:
            create(IdempotencyKey, **claim)
    except IntegrityError:
        return None
    return token


def _key_take_over(*, row: IdempotencyKey) -> uuid.UUID | None:
    """Take an abandoned claim, only if nobody changed it since we read it."""
    token = uuid.uuid4()
    taken = IdempotencyKey.objects.filter(
        pk=row.pk, state=IdempotencyKey.State.IN_PROGRESS, claim_token=row.claim_token
    ).update(claim_token=token, updated_at=timezone.now())
    if taken:
        logger.warning(
            "idempotency key %r: took over a claim abandoned since %s", row.key, row.updated_at
        )
    return token if taken else None


def _charge(
    *,
    key: str,
    token: uuid.UUID,
    reference: str,
    amount: Decimal,
    currency: str,
    render: Callable[[Payment], bytes],
) -> StoredResponse:
    try:
        with transaction.atomic(durable=True):
            outcome = payment_outcome(amount=amount, limit=settings.PAYMENT_APPROVAL_LIMIT)
            payment = create(
                Payment,
                reference=reference,
                amount=amount,
                currency=currency,
                status=outcome.status,
                decline_code=outcome.decline_code,
            )
            body = render(payment)
            completed = update_where(
                IdempotencyKey,
                {"key": key, "state": IdempotencyKey.State.IN_PROGRESS, "claim_token": token},
                {
                    "state": IdempotencyKey.State.COMPLETED,
                    "response_status": 201,
                    "response_body": body,
                    "payment": payment,
                    "updated_at": timezone.now(),
                },
            )
            if not completed:
                # Our claim was taken over as abandoned: its new owner charges, not us.
                raise _refused(IdempotencyKeyInUse())
    except BaseException:
        _key_release(key=key, token=token)
        raise
    PAYMENTS.labels(payment.status).inc()
    return StoredResponse(201, body, replayed=False)


def _key_release(*, key: str, token: uuid.UUID) -> None:
    """Free a claim that produced no payment, so a retry is not told 409 until it expires."""
    try:
        IdempotencyKey.objects.filter(
            key=key, state=IdempotencyKey.State.IN_PROGRESS, claim_token=token
        ).delete()
    except DatabaseError:
        logger.exception("idempotency key %r: could not release the claim; it will expire", key)
