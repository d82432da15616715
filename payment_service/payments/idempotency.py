"""The Idempotency-Key protocol: a request is carried out once per (caller, key).

Two short committed transactions:

1. claim: insert the key ``in_progress`` (one statement in autocommit: the unique
   constraint on (caller, key) decides a race), or take over a claim older than
   ``PAYMENT_IDEMPOTENCY_LOCK_TIMEOUT`` with a conditional UPDATE;
2. perform: do the request's writes (take a payment, make a refund) and mark the key
   ``completed`` with the rendered response, in ONE transaction, and only while this
   request still owns the claim.

So a key is either free, claimed with nothing done, or completed with exactly one result.
A request refused by an error (a 4xx of the operation) leaves nothing: its claim is freed
and the key can be used again. A key is bound to the first valid request made with it: the
same key with another body is refused (422), also while that request is in flight.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from payments.domain import Decision, KeyRecord, idempotency_decide
from payments.errors import IdempotencyKeyInUse, IdempotencyKeyReused
from payments.metrics import CONFLICTS, REPLAYS
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


@dataclass(frozen=True)
class Performed:
    """What a request did, inside the transaction that completes its key."""

    status: int
    body: bytes  # the exact response: stored once, replayed byte for byte
    payment: Payment


def once(
    *, caller: str, key: str, fingerprint: str, perform: Callable[[], Performed]
) -> StoredResponse:
    """Run ``perform`` once for the caller's key; a repeat of the request gets its response.

    ``perform`` runs inside the transaction that completes the key; an exception it raises
    (a refusal) rolls its writes back and frees the claim. Raises IdempotencyKeyReused (a
    different request) or IdempotencyKeyInUse (the same one, in flight).
    """
    lock_timeout = timedelta(seconds=settings.PAYMENT_IDEMPOTENCY_LOCK_TIMEOUT)
    for _ in range(_MAX_ROUNDS):
        # Most keys are new: try the claim first and read the key only when it exists.
        token = _claim(caller=caller, key=key, fingerprint=fingerprint)
        if token is None:
            row = IdempotencyKey.objects.filter(caller=caller, key=key).first()
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
            token = _take_over(row=row)
            if token is None:
                continue  # another request moved first: look again
        return _complete(caller=caller, key=key, token=token, perform=perform)
    raise _refused(IdempotencyKeyInUse())


def _refused(error: IdempotencyKeyInUse | IdempotencyKeyReused):
    CONFLICTS.labels(error.code).inc()
    return error


def _claim(*, caller: str, key: str, fingerprint: str) -> uuid.UUID | None:
    """Insert an in-progress claim, committed at once; None if taken.

    One INSERT in autocommit is a transaction of its own, committed when it returns, with
    no BEGIN and COMMIT round trips around it (as the take-over and the release). Inside a
    transaction, which only a test's can be (``durable=True`` refuses any other), it runs
    under a savepoint, so a refused INSERT leaves that transaction usable.
    """
    token = uuid.uuid4()
    now = timezone.now()
    claim = {
        "caller": caller,
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


def _take_over(*, row: IdempotencyKey) -> uuid.UUID | None:
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


def _complete(
    *, caller: str, key: str, token: uuid.UUID, perform: Callable[[], Performed]
) -> StoredResponse:
    try:
        with transaction.atomic(durable=True):
            done = perform()
            completed = update_where(
                IdempotencyKey,
                {
                    "caller": caller,
                    "key": key,
                    "state": IdempotencyKey.State.IN_PROGRESS,
                    "claim_token": token,
                },
                {
                    "state": IdempotencyKey.State.COMPLETED,
                    "response_status": done.status,
                    "response_body": done.body,
                    "payment": done.payment,
                    "updated_at": timezone.now(),
                },
            )
            if not completed:
                # Our claim was taken over as abandoned: its new owner does it, not us.
                raise _refused(IdempotencyKeyInUse())
    except BaseException:
        _release(caller=caller, key=key, token=token)
        raise
    return StoredResponse(done.status, done.body, replayed=False)


def _release(*, caller: str, key: str, token: uuid.UUID) -> None:
    """Free a claim that produced nothing, so a retry is not told 409 until it expires."""
    try:
        IdempotencyKey.objects.filter(
            caller=caller, key=key, state=IdempotencyKey.State.IN_PROGRESS, claim_token=token
        ).delete()
    except DatabaseError:
        logger.exception("idempotency key %r: could not release the claim; it will expire", key)
