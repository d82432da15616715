from decimal import Decimal

import pytest
from rest_framework import serializers

from servicekit.fields import StrictIntegerField
from servicekit.provider_states import (
    StateBooleanField,
    StateCountField,
    StateError,
    StateMoneyField,
    validated,
)


class LineIn(serializers.Serializer):
    quantity = StrictIntegerField(min_value=1)


class OrderIn(serializers.Serializer):
    size = StrictIntegerField(default=1)
    lines = LineIn(many=True, default=list)

    def validate(self, attrs):
        if attrs["size"] > 9:
            raise serializers.ValidationError("Too big.")
        return attrs


def test_valid_params_come_back_validated_with_defaults():
    assert validated(OrderIn, {"lines": [{"quantity": 2}]}) == {
        "size": 1,
        "lines": [{"quantity": 2}],
    }


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"size": "2"}, "Param 'size': A valid integer is required."),
        ({"lines": "x"}, "Param 'lines': Expected a list of items but got type \"str\"."),
        ({"lines": [{"quantity": 1}, {"quantity": 0}]}, "Param 'lines[1].quantity': Ensure"),
        ({"lines": ["x"]}, "Param 'lines[0]': Invalid data."),
        ({"size": 10}, "Bad params: Too big."),
    ],
)
def test_a_bad_param_is_a_state_error_naming_it(params, message):
    with pytest.raises(StateError) as raised:
        validated(OrderIn, params)

    assert str(raised.value).startswith(message)


class FlagsIn(serializers.Serializer):
    on = StateBooleanField(default=True)
    count = StateCountField(min_value=0, max_value=10, default=0)
    price = StateMoneyField(default=Decimal("1.00"))


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"on": "False", "count": "3", "price": 7.5}, (False, 3, Decimal("7.50"))),
        ({"on": True, "count": 10, "price": "0.99"}, (True, 10, Decimal("0.99"))),
    ],
)
def test_state_fields_also_take_their_values_written_as_strings_or_floats(params, expected):
    data = validated(FlagsIn, params)

    assert (data["on"], data["count"], data["price"]) == expected


@pytest.mark.parametrize(
    "params",
    [
        {"on": "maybe"},
        {"on": 1},
        {"count": "11"},
        {"count": "-1"},
        {"count": 2.5},
        {"price": 1.005},
    ],
)
def test_state_fields_still_refuse_what_is_not_their_kind(params):
    with pytest.raises(StateError, match=f"Param '{next(iter(params))}'"):
        validated(FlagsIn, params)
