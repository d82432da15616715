"""Reads on the hot path, compiled to SQL once per process instead of once per request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from django.db import connections, router
from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


class CompiledLookup(Generic[M]):
    """``queryset().filter(<field>=value)``, its SQL compiled by the ORM once.

    Compiling a queryset (joins, lookups, ordering, the SELECT list) costs more
    CPU than running it does, on every request. The SQL is still the ORM's own
    (so it follows the models), built the first time with the first value, and
    run afterwards through ``raw()``, which applies the same column converters
    and sets annotations as attributes (as the driver returns them: SQLite gives 0/1
    for a boolean). The value must appear exactly once among
    the query's parameters (the others, constants of the queryset, are kept);
    anything else is refused when first compiled.
    """

    def __init__(self, queryset: Callable[[], QuerySet[M]], field: str) -> None:
        self._queryset = queryset
        self._field = field
        # Per database alias: the SQL, its parameters, and where the looked-up value goes.
        self._compiled: dict[str, tuple[str, list, int]] = {}

    def __call__(self, value: object) -> list[M]:
        queryset = self._queryset()
        model = queryset.model
        alias = router.db_for_read(model)
        field = model._meta.get_field(model._meta.pk.name if self._field == "pk" else self._field)
        prepared = field.get_db_prep_value(value, connections[alias], prepared=False)
        compiled = self._compiled.get(alias)
        if compiled is None:
            sql, params = queryset.filter(**{self._field: value}).query.sql_with_params()
            at = [i for i, param in enumerate(params) if param == prepared]
            if len(at) != 1:
                raise ValueError(f"{self._field}={value!r} is not one parameter of {params!r}")
            compiled = self._compiled[alias] = (sql, list(params), at[0])
        sql, params, at = compiled
        params = [*params[:at], prepared, *params[at + 1 :]]
        return list(model.objects.raw(sql, params, using=alias))
