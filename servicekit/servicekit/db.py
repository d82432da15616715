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
        # The model and the looked-up field, known once the queryset was first built; the
        # queryset itself is built only to compile, never on the hot path.
        self._model: type[M] | None = None
        self._model_field = None

    def __call__(self, value: object) -> list[M]:
        model = self._model
        if model is None:
            model = self._model = self._queryset().model
            name = model._meta.pk.name if self._field == "pk" else self._field
            self._model_field = model._meta.get_field(name)
        alias = router.db_for_read(model)
        prepared = self._model_field.get_db_prep_value(value, connections[alias], prepared=False)
        compiled = self._compiled.get(alias)
        if compiled is None:
            query = self._queryset().filter(**{self._field: value}).query
            sql, params = query.sql_with_params()
            at = [i for i, param in enumerate(params) if param == prepared]
            if len(at) != 1:
                raise ValueError(f"{self._field}={value!r} is not one parameter of {params!r}")
            compiled = self._compiled[alias] = (sql, list(params), at[0])
        sql, params, at = compiled
        params = [*params[:at], prepared, *params[at + 1 :]]
        return list(model.objects.raw(sql, params, using=alias))
