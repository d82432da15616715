import uuid

import pytest

from servicekit.ids import parse_uuid

ID = uuid.UUID("11111111-1111-4111-8111-111111111111")


@pytest.mark.parametrize("value", [str(ID), ID, str(ID).upper(), ID.hex])
def test_a_uuid_in_any_spelling_uuid_accepts(value):
    assert parse_uuid(value) == ID


@pytest.mark.parametrize("value", ["", "not-a-uuid", "1234", None, 12, ["x"], str(ID) + "0"])
def test_anything_else_is_none(value):
    assert parse_uuid(value) is None
