import pytest
from rest_framework import serializers

from servicekit.fields import StrictIntegerField
from servicekit.provider_states import StateError, validated


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
