"""servicekit.drf.RefusedFieldsMixin: the fields a PATCH may not change, named with the rest."""

import pytest
from rest_framework import serializers

from servicekit.drf import RefusedFieldsMixin
from servicekit.fields import StrictCharField


class ChangeIn(RefusedFieldsMixin, serializers.Serializer):
    refused_fields = ("id", "created_at")

    name = StrictCharField(required=False)


def errors(data) -> dict:
    serializer = ChangeIn(data=data)
    return {} if serializer.is_valid() else serializer.errors


def test_fields_it_may_change_and_unknown_ones_pass():
    serializer = ChangeIn(data={"name": "New", "colour": "red"})

    assert serializer.is_valid()
    assert serializer.validated_data == {"name": "New"}


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"id": 1}, {"id"}),
        ({"id": 1, "created_at": None, "name": "ok"}, {"id", "created_at"}),
        ({"created_at": "x", "name": 5}, {"created_at", "name"}),  # together with the rest
    ],
)
def test_refused_fields_are_named_even_when_unchanged_and_with_other_errors(data, named):
    found = errors(data)

    assert set(found) == named
    for name in named - {"name"}:
        assert found[name] == ["This field cannot be changed."]


def test_a_body_that_is_not_an_object_is_still_drfs_error():
    assert set(errors([1, 2])) == {"non_field_errors"}
