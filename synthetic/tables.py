"""Appending many rows fast: COPY on PostgreSQL, bulk_create in batches elsewhere.

Rows are given as the model's attribute names (`hotline_id`, not `hotline`) with
their primary key already chosen (`TableLoader.allocate_id`), so that rows of
other tables can point at them before anything is written. Only synthetic
history goes through here: real data goes through the services.
"""

import json
from collections.abc import Iterable

from django.db import connection
from django.db.models import JSONField, Model

_REQUIRED = object()


def _default_of(field):
    if field.primary_key:
        return _REQUIRED
    if field.has_default():
        # A callable default (timezone.now, uuid4) would differ from row to row and
        # hide a forgotten value: the generator must say it.
        return _REQUIRED if callable(field.default) else field.default
    if field.null:
        return None
    # Blank text fields default to "", as the ORM writes them.
    default = field.get_default()
    return _REQUIRED if default is None else default


class TableLoader:
    """Buffers rows of one model and writes them in batches."""

    def __init__(self, model: type[Model], *, batch_size: int = 20_000):
        self.model = model
        self.table = model._meta.db_table
        fields = list(model._meta.concrete_fields)
        self.attnames = [field.attname for field in fields]
        self.columns = [field.column for field in fields]
        self.defaults = {field.attname: _default_of(field) for field in fields}
        self.json_indexes = [
            index for index, field in enumerate(fields) if isinstance(field, JSONField)
        ]
        # COPY sends values as they are, past the fields' own conversion: a field class
        # of this project (an encrypted text column) must still turn its value into what
        # the column stores, as bulk_create would. Django's own fields need nothing here.
        self.prepared_fields = [
            (index, field)
            for index, field in enumerate(fields)
            if not type(field).__module__.startswith("django.")
        ]
        self.batch_size = batch_size
        self.pending: list[dict] = []
        self.written = 0
        self._next_id: int | None = None
        self.use_copy = connection.vendor == "postgresql"

    def allocate_id(self) -> int:
        """The next free primary key (the table must not be written by anyone else meanwhile)."""
        if self._next_id is None:
            with connection.cursor() as cursor:
                cursor.execute(f'SELECT MAX("{self.model._meta.pk.column}") FROM "{self.table}"')  # noqa: S608 - a table name from the model, no input
                self._next_id = (cursor.fetchone()[0] or 0) + 1
        allocated = self._next_id
        self._next_id += 1
        return allocated

    def add(self, row: dict) -> None:
        self.pending.append(row)
        if len(self.pending) >= self.batch_size:
            self.flush()

    def add_all(self, rows: Iterable[dict]) -> None:
        for row in rows:
            self.add(row)

    def flush(self) -> None:
        if not self.pending:
            return
        rows, self.pending = self.pending, []
        if self.use_copy:
            self._copy(rows)
        else:
            self._bulk_create(rows)
        self.written += len(rows)

    def _complete(self, row: dict) -> list:
        """The row's values in column order, defaults filled in; a missing value is an error."""
        values = [row.get(attname, default) for attname, default in self.defaults.items()]
        if any(value is _REQUIRED for value in values):
            missing = [
                name
                for name, value in zip(self.attnames, values, strict=True)
                if value is _REQUIRED
            ]
            raise ValueError(f"{self.table}: no value for {', '.join(missing)}")
        return values

    def _bulk_create(self, rows: list[dict]) -> None:
        instances = [
            self.model(**dict(zip(self.attnames, self._complete(row), strict=True))) for row in rows
        ]
        self.model.objects.bulk_create(instances)

    def _copy(self, rows: list[dict]) -> None:
        columns = ", ".join(f'"{column}"' for column in self.columns)
        statement = f'COPY "{self.table}" ({columns}) FROM STDIN'
        with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            for row in rows:
                values = self._complete(row)
                for index, field in self.prepared_fields:
                    values[index] = field.get_db_prep_value(values[index], connection)
                for index in self.json_indexes:
                    if values[index] is not None:
                        values[index] = json.dumps(values[index])
                copy.write_row(values)

    def sequence_reset(self) -> None:
        """Move the table's id sequence past the ids written here (PostgreSQL)."""
        if not self.use_copy or self.written == 0:
            return
        from django.core.management.color import no_style

        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), [self.model]):
                cursor.execute(statement)


class ForeignKeysDeferredToTheEnd:
    """On PostgreSQL as a superuser, check foreign keys once per table after the load.

    PostgreSQL checks each foreign key of each row with a trigger, one lookup per
    row; for millions of rows that is most of the load. A superuser's session
    can skip those triggers (`session_replication_role = replica`, as
    pg_restore --disable-triggers does); every foreign key of the loaded tables
    is then checked with one anti-join each before the transaction commits, and
    a missing row raises, so nothing inconsistent is ever committed. Anyone else
    keeps the per-row checks. Use inside the load's transaction.
    """

    def __init__(self, models):
        self.models = list(models)
        self.skipping = False

    def __enter__(self):
        if connection.vendor != "postgresql":
            return self
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            self.skipping = bool(cursor.fetchone()[0])
            if self.skipping:
                cursor.execute("SET LOCAL session_replication_role = replica")
        return self

    def __exit__(self, kind, error, traceback):
        if not self.skipping or kind is not None:
            return
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")
            for model in self.models:
                for field in model._meta.concrete_fields:
                    if field.is_relation and field.db_constraint:
                        self._check(cursor, model, field)

    @staticmethod
    def _check(cursor, model, field) -> None:
        child, column = model._meta.db_table, field.column
        parent = field.related_model._meta.db_table
        target = field.target_field.column
        cursor.execute(
            f'SELECT COUNT(*) FROM "{child}" c WHERE c."{column}" IS NOT NULL AND NOT EXISTS '  # noqa: S608 - names from the models, no input
            f'(SELECT 1 FROM "{parent}" p WHERE p."{target}" = c."{column}")'
        )
        missing = cursor.fetchone()[0]
        if missing:
            raise ValueError(f"{child}.{column}: {missing} rows point at no {parent} row")
