"""servicekit.perf.drf.InputFieldsOnceMixin: fields built once per class, validation as DRF's."""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from rest_framework import serializers

from servicekit.fields import MoneyField
from servicekit.perf.drf import InputFieldsOnceMixin


def _classes(*bases):
    """An item and a basket of items, on ``bases`` (with or without the mixin)."""

    class Item(*bases, serializers.Serializer):
        sku = serializers.CharField(max_length=8)
        quantity = serializers.IntegerField(min_value=1, max_value=99)
        unit_price = MoneyField()

    class Basket(*bases, serializers.Serializer):
        currency = serializers.ChoiceField(choices=["USD", "EUR"])
        items = Item(many=True, required=False)
        note = serializers.CharField(required=False, allow_blank=True)

        def validate_note(self, value):
            if "spam" in value:
                raise serializers.ValidationError("No spam.")
            return value.strip()

        def validate(self, attrs):
            if attrs.get("currency") == "EUR" and not attrs.get("items"):
                raise serializers.ValidationError("A EUR basket needs items.")
            return attrs

    return Item, Basket


Item, Basket = _classes(InputFieldsOnceMixin)
PlainItem, PlainBasket = _classes()

ITEM = {"sku": "MUG", "quantity": 2, "unit_price": "7.50"}
BODIES = [
    {"currency": "USD"},
    {"currency": "USD", "items": [ITEM, {**ITEM, "sku": "CUP"}], "note": "  hi "},
    {"currency": "EUR"},
    {"currency": "GBP", "items": []},
    {"currency": "USD", "items": [{**ITEM, "quantity": 0}, {"sku": "TOOLONGSKU"}]},
    {"currency": "USD", "items": "not a list"},
    {"currency": "USD", "items": [None, 3]},
    {"currency": "USD", "note": "buy spam"},
    {"currency": "USD", "extra": "ignored"},
    {"items": [ITEM]},
    {},
    [],
    None,
    "USD",
]


def _outcome(cls, data, **kwargs):
    serializer = cls(data=data, **kwargs)
    valid = serializer.is_valid()
    return valid, (serializer.validated_data if valid else serializer.errors)


@pytest.mark.parametrize("data", BODIES)
def test_validation_answers_as_drf_does(data):
    assert _outcome(Basket, data) == _outcome(PlainBasket, data)
    assert _outcome(Item, data) == _outcome(PlainItem, data)


def test_the_fields_are_built_once_per_class():
    first, second = Basket(data={}), Basket(data={"currency": "USD"})

    assert first.fields is second.fields
    # bound to a blank instance of their own, not to a request's (whose body they would keep)
    root = first.fields["currency"].root
    assert root is not first
    assert root is not second
    assert not hasattr(root, "initial_data")
    assert Item(data={}).fields is Item(data=ITEM).fields
    assert PlainBasket(data={}).fields is not PlainBasket(data={}).fields


@pytest.mark.parametrize(
    "kwargs", [{"partial": True}, {"context": {"request": object()}}, {"instance": object()}]
)
def test_a_partial_contextual_or_bound_instance_builds_its_own(kwargs):
    shared = Basket(data={}).fields

    serializer = Basket(data={"note": "x"}, **kwargs)

    assert serializer.fields is not shared
    assert serializer.fields["currency"].root is serializer
    if "partial" in kwargs:  # a partial body may leave out required fields, as in DRF
        assert _outcome(Basket, {"note": "x"}, partial=True) == (True, {"note": "x"})
        assert _outcome(Basket, {"note": "x"}) == _outcome(PlainBasket, {"note": "x"})


def test_threads_validating_at_once_each_get_their_own_answer():
    def check(n: int) -> bool:
        if n % 3 == 0:
            body = {"currency": "USD", "items": [{**ITEM, "quantity": 0}]}
            return _outcome(Basket, body) == _outcome(PlainBasket, body)
        body = {"currency": "USD", "items": [{**ITEM, "quantity": n % 99 + 1}], "note": str(n)}
        valid, data = _outcome(Basket, body)
        item = data["items"][0]
        return valid and (item["quantity"], data["note"], item["unit_price"]) == (
            n % 99 + 1,
            str(n),
            Decimal("7.50"),
        )

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(check, range(4000)))

    assert all(results)


def test_a_serializer_nested_in_a_partial_one_does_not_share_or_poison_the_shared_fields():
    item, basket = _classes(InputFieldsOnceMixin)  # nothing shared yet
    partial = basket(data={"items": [{"quantity": 2}]}, partial=True)
    assert partial.is_valid()  # partial: the item's missing fields are skipped, as in DRF

    # The item serializer nested in it (validated first) did not become the fields every
    # item shares: a whole item still needs its sku and price.
    assert _outcome(item, {"quantity": 2}) == _outcome(PlainItem, {"quantity": 2})
    assert _outcome(item, {"quantity": 2})[0] is False


def test_an_instance_that_does_not_share_keeps_its_own_fields():
    serializer = Basket(data={"note": "x"}, partial=True)
    serializer.fields["note"].required = True  # a per-instance change, as views may make

    assert serializer.fields is serializer.fields
    assert serializer.fields["note"].required is True
