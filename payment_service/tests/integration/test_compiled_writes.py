"""servicekit.perf.db.create on payment_service's models: the rows the ORM would write."""

import pytest
from django.db import IntegrityError, transaction

from payments.models import IdempotencyKey
from servicekit.perf import db
from tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db


def row(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


@pytest.mark.parametrize("body", [None, b"", b'{"id": "p"}\x00\xff'])
def test_a_key_with_a_binary_body_is_inserted_by_the_kept_sql_as_the_orm_would(body):
    payment = PaymentFactory()
    values = {
        "fingerprint": "f" * 64,
        "state": IdempotencyKey.State.COMPLETED if body is not None else "in_progress",
        "response_status": 201 if body is not None else None,
        "response_body": body,
        "payment": payment if body is not None else None,
    }
    # The first create compiles, the second runs the kept SQL: both rows as the ORM's.
    ours = [db.create(IdempotencyKey, key=f"ours-{n}", **values) for n in range(2)]
    theirs = IdempotencyKey.objects.create(key="theirs", **values)

    assert isinstance(db._inserts[(IdempotencyKey, "default", False)], db._InsertPlan)
    for created in ours:
        stored = IdempotencyKey.objects.get(pk=created.pk)
        ignored = {"id", "key", "claim_token", "created_at", "updated_at"}
        assert {k: v for k, v in row(stored).items() if k not in ignored} == {
            k: v
            for k, v in row(IdempotencyKey.objects.get(pk=theirs.pk)).items()
            if k not in ignored
        }
        assert (bytes(stored.response_body) if body is not None else None) == body
        assert row(stored) == {**row(created), "response_body": stored.response_body}


def test_a_taken_key_is_refused_by_the_kept_sql_too():
    db.create(IdempotencyKey, key="taken", fingerprint="f", state="in_progress")

    with pytest.raises(IntegrityError), transaction.atomic():
        db.create(IdempotencyKey, key="taken", fingerprint="f", state="in_progress")
