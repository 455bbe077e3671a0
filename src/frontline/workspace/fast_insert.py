"""Write many rows of one model fast, for the demo and scale data set only (``frontline seed``).

``bulk_create`` spends most of its time building model instances and SQL (two thirds of a seed at
scale). ``RowWriter`` takes plain values per row, fills every other column with the field's
default, converts values the way Django's fields do for the database, and sends them with
PostgreSQL ``COPY`` or SQLite ``executemany``. The rows are exactly what the ORM would write.

Primary keys are handed out by the writer (``MAX(id) + 1`` upwards), so children can point at
parents before anything is sent; ``close()`` moves the table's id sequence past them. Use a writer
only inside the seed's transaction, on a database nobody else writes to, and close it before the
ORM inserts into the same table again.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connection, connections, models

FLUSH_ROWS = 5_000


class Pump:
    """Runs database writes on a second thread, so that building rows (the caller's thread, in
    Python) and storing them (the PostgreSQL server) happen at the same time.

    Both threads use the caller's connection, inside its transaction, but never at once: while
    jobs are pending the caller does not touch the database; ``drain()`` waits for them (and
    re-raises the first error). ``close()`` when done. Without PostgreSQL it runs jobs at once.
    """

    def __init__(self, *, depth: int = 8) -> None:
        self.threaded = connection.vendor == "postgresql"
        self.error: BaseException | None = None
        if not self.threaded:
            return
        self.connection = connections[DEFAULT_DB_ALIAS]
        self.connection.ensure_connection()
        self.jobs: queue.Queue[Callable[[], None] | None] = queue.Queue(maxsize=depth)
        self.connection.inc_thread_sharing()
        self.thread = threading.Thread(target=self._work, name="seed-pump", daemon=True)
        self.thread.start()

    def _work(self) -> None:
        connections[DEFAULT_DB_ALIAS] = self.connection
        while True:
            job = self.jobs.get()
            try:
                if job is None:
                    return
                if self.error is None:
                    job()
            except BaseException as error:  # handed to the caller's thread by drain()
                self.error = error
            finally:
                self.jobs.task_done()

    def submit(self, job: Callable[[], None]) -> None:
        if not self.threaded:
            job()
            return
        if self.error is not None:
            self.drain()
        self.jobs.put(job)

    def drain(self) -> None:
        if self.threaded:
            self.jobs.join()
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def close(self) -> None:
        if not self.threaded:
            return
        try:
            self.drain()
        finally:
            self.jobs.put(None)
            self.thread.join()
            self.connection.dec_thread_sharing()
            self.threaded = False


def _datetime_sqlite(value: datetime | None) -> str | None:
    # Django's SQLite backend stores aware datetimes as naive UTC text (``str(value)``).
    if value is None:
        return None
    return str(value.astimezone(UTC).replace(tzinfo=None))


def _date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def _converter(field: models.Field[Any, Any], vendor: str) -> Callable[[Any], Any] | None:
    """How a Python value becomes the value sent for ``field``; None: sent as it is."""
    if isinstance(field, models.JSONField):
        return _json
    if isinstance(field, models.DateTimeField):
        return _datetime_sqlite if vendor == "sqlite" else None
    if isinstance(field, models.DateField):
        return _date
    return None


class RowWriter:
    """Collects rows of ``model`` and writes them in batches.

    ``add(**values)`` takes attribute names (``customer_id``, not ``customer``) and returns the
    row's primary key. Columns not given get the field's default (``auto_now`` fields must be
    given: the rows describe the past).
    """

    def __init__(
        self, model: type[models.Model], *, flush_rows: int = FLUSH_ROWS, pump: Pump | None = None
    ) -> None:
        self.model = model
        self.pump = pump
        self.vendor = connection.vendor
        meta = model._meta
        self.table = meta.db_table
        self.fields = list(meta.concrete_fields)
        self.pk_attname = meta.pk.attname
        self.attnames = [f.attname for f in self.fields]
        self.index = {name: i for i, name in enumerate(self.attnames)}
        self.converters = [_converter(f, self.vendor) for f in self.fields]
        self.defaults = [self._default(f) for f in self.fields]
        self.flush_rows = flush_rows
        self.rows: list[list[Any]] = []
        self.written = 0
        if pump is not None:
            pump.drain()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT MAX({meta.pk.column}) FROM {connection.ops.quote_name(self.table)}")
            self.next_id = int(cursor.fetchone()[0] or 0) + 1

    @staticmethod
    def _default(field: models.Field[Any, Any]) -> Any:
        if field.primary_key:
            return None
        if field.has_default() or not field.null:
            return field.get_default()
        return None

    def reserve(self) -> int:
        """A primary key for a row given to ``add(id=...)`` later (children may point at it now)."""
        pk = self.next_id
        self.next_id += 1
        return pk

    def add(self, **values: Any) -> int:
        row = list(self.defaults)
        for name, value in values.items():
            row[self.index[name]] = value
        pk = values.get(self.pk_attname)
        if pk is None:
            pk = self.next_id
            self.next_id += 1
            row[self.index[self.pk_attname]] = pk
        else:
            self.next_id = max(self.next_id, pk + 1)
        self.rows.append(row)
        if len(self.rows) >= self.flush_rows:
            self.flush()
        return int(pk)

    def flush(self) -> int:
        rows, self.rows = self.rows, []
        if not rows:
            return 0
        for position, convert in enumerate(self.converters):
            if convert is not None:
                for row in rows:
                    row[position] = convert(row[position])
        columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in self.fields)
        table = connection.ops.quote_name(self.table)
        vendor = self.vendor

        def write() -> None:
            connection.ensure_connection()
            if vendor == "postgresql":
                with connection.cursor() as cursor:
                    raw = cursor.cursor  # the psycopg cursor
                    with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
            else:
                marks = ", ".join("?" for _ in rows[0])
                raw = connection.connection.cursor()  # the sqlite3 cursor, no per-row wrapper work
                try:
                    raw.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
                finally:
                    raw.close()

        if self.pump is not None:
            self.pump.submit(write)
        else:
            write()
        self.written += len(rows)
        return len(rows)

    def close(self) -> int:
        """Write what is left and move the id sequence past the ids handed out."""
        self.flush()
        if self.pump is not None:
            self.pump.drain()
        statements = connection.ops.sequence_reset_sql(no_style(), [self.model])
        if statements:
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
        return self.written
