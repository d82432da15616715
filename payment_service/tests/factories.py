import uuid
from decimal import Decimal

import factory
from django.utils import timezone

from payments.domain import request_fingerprint
from payments.models import IdempotencyKey, Payment


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    reference = factory.LazyFunction(lambda: f"cart:{uuid.uuid4()}")
    amount = Decimal("10.00")
    currency = "USD"
    status = Payment.Status.SUCCEEDED
    decline_code = None
    created_at = factory.LazyFunction(timezone.now)


class InProgressKeyFactory(factory.django.DjangoModelFactory):
    """A claim on a key whose request is (or was, if old) in flight; pass ``body``."""

    class Meta:
        model = IdempotencyKey

    class Params:
        body = factory.Dict({"reference": "cart:1", "amount": Decimal("10.00"), "currency": "USD"})

    caller = "service"  # the role of PAYMENT_SERVICE_TOKEN
    key = factory.Sequence(lambda n: f"key-{n}")
    fingerprint = factory.LazyAttribute(lambda o: request_fingerprint(**o.body))
    state = IdempotencyKey.State.IN_PROGRESS
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyAttribute(lambda o: o.created_at)
