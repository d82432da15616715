import pytest
from rest_framework.exceptions import ValidationError

from payments.errors import IdempotencyKeyMissing
from payments.serializers import idempotency_key_from


@pytest.mark.parametrize("headers", [{}, {"Idempotency-Key": ""}, {"Idempotency-Key": "   "}])
def test_missing_or_blank_key_is_missing(headers):
    with pytest.raises(IdempotencyKeyMissing):
        idempotency_key_from(headers)


@pytest.mark.parametrize("key", ["k", "cart:5d1c:attempt:1", "a b", "x" * 255])
def test_key_of_1_to_255_visible_characters_is_accepted(key):
    assert idempotency_key_from({"Idempotency-Key": key}) == key


def test_surrounding_blanks_are_not_part_of_the_key():
    assert idempotency_key_from({"Idempotency-Key": "  abc "}) == "abc"


@pytest.mark.parametrize("key", ["x" * 256, "caf\u00e9", "a\x00b", "a\tb"])
def test_overlong_or_non_ascii_key_is_a_validation_error(key):
    with pytest.raises(ValidationError) as caught:
        idempotency_key_from({"Idempotency-Key": key})

    assert "Idempotency-Key" in caught.value.detail
