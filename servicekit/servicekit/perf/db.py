"""Reads and writes on the hot path, compiled to SQL once per process instead of once per request."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar, cast

from django.db import DatabaseError, connections, router, transaction
from django.db.models import BinaryField, Field, Model, QuerySet, signals
from django.db.models.sql import InsertQuery

M = TypeVar("M", bound=Model)


class _Plan:
    """How one compiled query runs on one database: its SQL, and how rows become models."""

    __slots__ = ("annotations", "at", "converters", "names", "params", "positions", "sql")

    def __init__(self, sql: str, params: list, at: tuple[int, ...]) -> None:
        self.sql, self.params, self.at = sql, params, at
        self.names: list[str] = []
        self.positions: list[int] = []
        self.annotations: list[tuple[str, int]] = []
        self.converters: list[tuple[int, list, object]] = []


def _converted(row: Any, converters: list[tuple[int, list, object]], connection: Any) -> list:
    """A row's values through the backend's and the fields' converters, as the ORM applies them."""
    values = list(row)
    for pos, funcs, expression in converters:
        value = values[pos]
        for func in funcs:
            value = func(value, expression, connection)
        values[pos] = value
    return values


class CompiledLookup(Generic[M]):
    """``queryset().filter(<field>=value, ...)``, its SQL compiled by the ORM once.

    Compiling a queryset (joins, lookups, ordering, the SELECT list) costs more
    CPU than running it does, on every request; so does working out, on every
    ``raw()``, which column feeds which field and through which converter. Here the
    SQL is still the ORM's own (so it follows the models), built the first time with
    the first values; the first run also goes through ``raw()``, whose column order,
    annotations and converters are kept, so later runs execute the SQL on a cursor and
    build the models exactly as ``raw()`` does (annotations as the driver returns them:
    SQLite gives 0/1 for a boolean). Called with one value per field, in order. Each
    value must appear exactly once among the query's parameters (the others, constants
    of the queryset, are kept); one field's query that cannot be compiled so is refused
    when first run, and with several fields a first run whose values cannot be told
    apart (equal to each other or to a constant) goes through the ORM uncompiled, and
    the next run compiles.

    A field named ``<field>__in`` takes a sequence: ``filter(<field>__in=values)``, its
    SQL compiled once per number of values. Its values are read as the ORM reads them
    (``None`` dropped, each once, in order), and none at all matches nothing without a
    query, as the ORM answers.
    """

    def __init__(self, queryset: Callable[[], QuerySet[M]], *fields: str) -> None:
        if not fields:
            raise TypeError("CompiledLookup needs at least one field")
        self._queryset = queryset
        self._fields = fields
        # Which fields take a sequence (``<field>__in``).
        self._many = tuple(name.endswith("__in") for name in fields)
        # Per database alias, and with ``__in`` fields per number of values of each.
        self._plans: dict[str | tuple[str, tuple[int, ...]], _Plan] = {}
        # The model and the looked-up fields, known once the queryset was first built; the
        # queryset itself is built only to compile, never on the hot path.
        self._model: type[M] | None = None
        self._model_fields: list[Any] = []

    def __call__(self, *values: object) -> list[M]:
        if len(values) != len(self._fields):
            raise TypeError(f"{len(self._fields)} values expected ({', '.join(self._fields)})")
        model = self._model
        if model is None:
            model = self._queryset().model
            pk = model._meta.pk
            names = [
                name.removesuffix("__in") if many else name
                for name, many in zip(self._fields, self._many, strict=True)
            ]
            self._model_fields = [
                model._meta.get_field(pk.name if name == "pk" else name) for name in names
            ]
            self._model = model
        if any(self._many):
            values = tuple(
                _distinct(cast(Iterable[object], value)) if many else value
                for value, many in zip(values, self._many, strict=True)
            )
            if any(many and not value for value, many in zip(values, self._many, strict=True)):
                return []  # the ORM's EmptyResultSet: nothing matches, no query
        alias = router.db_for_read(model)
        connection = connections[alias]
        prepared: list[object] = []
        shape: list[int] = []
        for field, value, many in zip(self._model_fields, values, self._many, strict=True):
            if many:
                items = cast(list[object], value)  # made a list above
                prepared += [field.get_db_prep_value(v, connection, prepared=False) for v in items]
                shape.append(len(items))
            else:
                prepared.append(field.get_db_prep_value(value, connection, prepared=False))
        key = (alias, tuple(shape)) if shape else alias
        plan = self._plans.get(key)
        if plan is None:
            return self._first_run(model, alias, key, values, prepared)
        params = plan.params.copy()
        for at, value in zip(plan.at, prepared, strict=True):
            params[at] = value
        with connection.cursor() as cursor:
            cursor.execute(plan.sql, params)
            rows = cursor.fetchall()
        found = []
        for row in rows:
            columns = _converted(row, plan.converters, connection)
            instance = model.from_db(alias, plan.names, [columns[p] for p in plan.positions])
            for column, pos in plan.annotations:
                setattr(instance, column, columns[pos])
            found.append(instance)
        return found

    def _first_run(
        self,
        model: type[M],
        alias: str,
        key: str | tuple[str, tuple[int, ...]],
        values: tuple[object, ...],
        prepared: list[object],
    ) -> list[M]:
        """Compile, run through ``raw()``, and keep what ``raw()`` worked out."""
        queryset = self._queryset().filter(**dict(zip(self._fields, values, strict=True)))
        sql, params = queryset.query.sql_with_params()
        at = tuple(
            [i for i, param in enumerate(params) if param == value][:2] for value in prepared
        )
        if any(len(found) != 1 for found in at) or len({found[0] for found in at}) != len(at):
            if len(prepared) == 1:
                raise ValueError(
                    f"{self._fields[0]}={values[0]!r} is not one parameter of {params!r}"
                )
            return list(queryset)  # these values cannot be told apart: uncompiled, this once
        plan = _Plan(sql, list(params), tuple(found[0] for found in at))
        # RawQuerySet's internals, used as Django's RawModelIterable uses them (untyped).
        raw: Any = model._default_manager.raw(sql, params, using=alias)
        found = list(raw)  # what raw() builds is the reference for every later run
        plan.names, plan.positions, plan.annotations = raw.resolve_model_init_order()
        fields = [raw.model_fields.get(column) for column in raw.columns]
        cols: list[Any] = [f.get_col(f.model._meta.db_table) if f else None for f in fields]
        connection = connections[alias]
        compiler = connection.ops.compiler("SQLCompiler")(raw.query, connection, alias)
        if compiler.has_composite_fields(cols):
            raise ValueError("composite fields are not supported")
        plan.converters = [
            (pos, funcs, expression)
            for pos, (funcs, expression) in compiler.get_converters(cols).items()
        ]
        self._plans[key] = plan
        return found


def _distinct(values: Iterable[object]) -> list[object]:
    """An ``__in`` lookup's values as the ORM sends them: ``None`` dropped, each once."""
    return [value for value in dict.fromkeys(values) if value is not None]


# (model, WHERE field names, SET field names, database alias) -> (SQL, WHERE fields, SET fields)
_updates: dict[tuple, tuple[str, list[Field], list[Field]]] = {}


def update_where(model: type[Model], where: dict[str, Any], values: dict[str, Any]) -> int:
    """``model._base_manager.filter(**where).update(**values)``, its SQL built once; the rows.

    The ORM builds and compiles a queryset and an UPDATE on every call, several times the
    CPU of running the statement; the checkout writes a cart three or four times. Here the
    statement is ``UPDATE <table> SET <column> = %s, ... WHERE <column> = %s AND ...``,
    built from the model once per combination of field names, and the values go through
    each field's own ``get_db_prep_save`` / ``get_db_prep_value`` as the ORM sends them.

    Only what that statement means the same as the ORM: plain values (a related field takes
    the model or its key), equality in WHERE, and no ``None`` there (SQL's ``= NULL``
    matches nothing; the ORM writes ``IS NULL``). Anything else is refused with ValueError.
    """
    alias = router.db_for_write(model)
    connection = connections[alias]
    key = (model, tuple(where), tuple(values), alias)
    plan = _updates.get(key)
    if plan is None:
        if not where or not values:
            raise ValueError("update_where needs at least one WHERE and one SET field")
        meta = model._meta
        quote = connection.ops.quote_name
        where_fields = [_column(model, name) for name in where]
        value_fields = [_column(model, name) for name in values]
        # Names from the model's metadata, quoted by the backend; values are parameters.
        sql = (
            f"UPDATE {quote(meta.db_table)} SET "  # noqa: S608
            + ", ".join(f"{quote(_name(f))} = %s" for f in value_fields)
            + " WHERE "
            + " AND ".join(f"{quote(_name(f))} = %s" for f in where_fields)
        )
        plan = _updates[key] = (sql, where_fields, value_fields)
    sql, where_fields, value_fields = plan
    params = [
        f.get_db_prep_save(_plain(f, value), connection)
        for f, value in zip(value_fields, values.values(), strict=True)
    ]
    for f, value in zip(where_fields, where.values(), strict=True):
        if value is None:
            raise ValueError(f"{f.name}=None: use the ORM (IS NULL) for that")
        params.append(f.get_db_prep_value(_plain(f, value), connection, prepared=False))
    # As QuerySet.update(): inside a transaction, a failed UPDATE marks it for rollback.
    with transaction.mark_for_rollback_on_error(using=alias), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def save_fields(instance: Model, fields: list[str]) -> None:
    """``instance.save(update_fields=fields)`` through :func:`update_where`.

    ``auto_now`` fields among ``fields`` are set to now first, as ``save`` does; a row that
    is gone raises DatabaseError, as ``save`` does. A model with save signal receivers is
    saved by ``save()`` itself, so they fire, as :func:`create` does.
    """
    model = type(instance)
    if signals.pre_save.has_listeners(model) or signals.post_save.has_listeners(model):
        instance.save(update_fields=fields)
        return
    values = {}
    for name in fields:
        field = _column(type(instance), name)
        values[name] = field.pre_save(instance, add=False)  # auto_now sets it on instance
    if not update_where(type(instance), {"pk": instance.pk}, values):
        raise DatabaseError("Save with update_fields did not affect any rows.")


def _column(model: type[Model], name: str) -> Field:
    meta = model._meta
    field = meta.pk if name == "pk" else meta.get_field(name)
    if not isinstance(field, Field) or not field.concrete or not field.column:
        raise ValueError(f"update_where takes concrete fields of {meta.label} only, not {name!r}")
    return field


def _name(field: Field) -> str:
    return str(field.column)  # set on every concrete field (_column checked)


def _plain(field: Any, value: Any) -> Any:
    if hasattr(value, "resolve_expression"):
        raise ValueError(f"{field.name}: update_where takes plain values, not expressions")
    if isinstance(value, Model):
        if not field.remote_field:
            raise ValueError(f"{field.name}: a model instance for a field that is no relation")
        return value.pk
    return value


def _plain_placeholder(field: Any, connection: Any) -> bool:
    """Whether the field's value is always sent as a plain ``%s``, as the kept SQL has it.

    A field with ``get_placeholder`` may wrap its value in SQL that depends on the value.
    A BinaryField's does so on Oracle only (``to_blob(%s)``); elsewhere it is ``%s`` for
    bytes and for NULL alike, so its INSERT compiles once like any other.
    """
    if not getattr(field, "get_placeholder", None):
        return True
    return isinstance(field, BinaryField) and all(
        connection.ops.binary_placeholder_sql(value) == "%s" for value in (None, b"")
    )


class _InsertPlan:
    __slots__ = ("converters", "fields", "returning", "returning_params", "sql")

    def __init__(self, sql: str, fields: list, returning: list, returning_params: tuple) -> None:
        self.sql, self.fields = sql, fields
        self.returning, self.returning_params = returning, returning_params
        self.converters: list[tuple[int, list, object]] = []


# (model, database alias, whether the key is given) -> the plan, or None: the ORM's save
_inserts: dict[tuple, _InsertPlan | None] = {}
_UNSEEN = object()


def create(model: type[M], **values: Any) -> M:
    """``model.objects.create(**values)``, its INSERT compiled by the ORM once per model.

    The first call goes through the ORM's own InsertQuery and keeps its SQL, its columns
    and the converters of what the INSERT returns (an auto-increment key); later calls
    prepare each value with its field's ``pre_save`` and ``get_db_prep_save``, as the ORM
    does, and run that SQL. A model with save signal receivers, parents, ordering with
    respect to another, or a value that is an expression is saved by ``save()`` instead.
    """
    instance = model(**values)
    meta = model._meta
    alias = router.db_for_write(model, instance=instance)
    connection = connections[alias]
    pk_given = instance.pk is not None
    key = (model, alias, pk_given)
    plan = _inserts.get(key, _UNSEEN)
    if plan is _UNSEEN:
        fields = [
            f
            for f in meta.local_concrete_fields
            if not f.generated and (pk_given or f is not meta.auto_field)
        ]
        if (
            meta.parents
            or meta.order_with_respect_to
            or len(meta.pk_fields) != 1
            or not connection.features.can_return_columns_from_insert
            or any(not _plain_placeholder(f, connection) for f in fields)
        ):
            plan = _inserts[key] = None
    if (
        plan is None
        or signals.pre_save.has_listeners(model)
        or signals.post_save.has_listeners(model)
        or any(hasattr(value, "resolve_expression") for value in values.values())
    ):
        instance.save(force_insert=True, using=alias)
        return instance
    # As save(): refuses an unsaved related object, takes a related object's new key.
    cast(Any, instance)._prepare_related_fields_for_save(operation_name="save")
    if isinstance(plan, _InsertPlan):
        params = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in plan.fields]
        params += plan.returning_params
    else:  # the first: compiled by the ORM, run with the ORM's own parameters
        returning = list(meta.db_returning_fields)
        query = InsertQuery(model)
        query.insert_values(fields, [instance])
        compiler = query.get_compiler(using=alias)
        compiler.returning_fields = returning
        [(sql, params)] = compiler.as_sql()
        plan = _InsertPlan(sql, fields, returning, tuple(compiler.returning_params))
        cols = [f.get_col(meta.db_table) for f in returning]
        plan.converters = [
            (pos, funcs, expression)
            for pos, (funcs, expression) in compiler.get_converters(cols).items()
        ]
        _inserts[key] = plan
    # As Model.save(): inside a transaction, a failed INSERT marks it for rollback.
    with transaction.mark_for_rollback_on_error(using=alias), connection.cursor() as cursor:
        cursor.execute(plan.sql, params)
        row = cursor.fetchone() if plan.returning else ()  # RETURNING (SQLite, PostgreSQL)
    returned = _converted(row, plan.converters, connection)
    for field, value in zip(plan.returning, returned, strict=True):
        setattr(instance, field.attname, value)
    instance._state.adding = False
    instance._state.db = alias
    return instance
