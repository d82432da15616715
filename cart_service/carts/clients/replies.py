"""What the providers' answers must look like, as pydantic models (strict, JSON in).

Each body is parsed and checked in one step (``Reply.read``): exact JSON types, no
coercion (a money string stays a string until it becomes a Decimal, a number for money
is refused), timestamps with a UTC offset. Fields the contract does not name are
ignored, so a provider may add fields without breaking us. Whatever does not fit
becomes the client's ``unavailable`` error, never a 500 at cart_service.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    ValidationInfo,
)

_MONEY = re.compile(r"^\d+\.\d{2}$")


def _money(value: object, info: ValidationInfo) -> Decimal:
    if info.mode == "python" and isinstance(value, Decimal):
        return value  # built in code (fakes, tests), not read from a provider
    if not isinstance(value, str) or not _MONEY.match(value):
        raise ValueError(f"must be a money string like '12.50', got {value!r}")
    return Decimal(value)


# Money on the wire: a string with two decimals ("12.50"); a JSON number is refused.
Money = Annotated[Decimal, BeforeValidator(_money)]
Text = Annotated[str, StringConstraints(min_length=1)]  # a non-empty string
Timestamp = AwareDatetime

R = TypeVar("R", bound="Reply")


class Reply(BaseModel):
    """A provider's answer: frozen, strict, extra fields ignored."""

    model_config = ConfigDict(frozen=True, strict=True, extra="ignore")

    @classmethod
    def read(cls: type[R], body: str | bytes) -> R:
        """The model from a JSON body; pydantic.ValidationError if it does not fit."""
        return cls.model_validate_json(body)


__all__ = ["Money", "Reply", "Text", "Timestamp"]
