"""Tasks used by the scheduler and worker tests, in worker subprocesses too.

``record_run`` appends one row per execution to ``PROBE_TABLE``, which the test creates and
drops itself: the table is not part of any migration.
"""

from __future__ import annotations

import os

from django.db import connection
from django.tasks import TaskContext, task
from django.utils import timezone

PROBE_TABLE = "frontline_test_probe_run"


def create_probe_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {PROBE_TABLE} ("
            " task_result_id varchar(64) PRIMARY KEY,"
            " pid integer NOT NULL,"
            " ran_at varchar(40) NOT NULL)"
        )


def drop_probe_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {PROBE_TABLE}")


def probe_rows() -> list[tuple[str, int, str]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT task_result_id, pid, ran_at FROM {PROBE_TABLE} ORDER BY ran_at")
        return [(str(row[0]), int(row[1]), str(row[2])) for row in cursor.fetchall()]


@task(takes_context=True)
def record_run(context: TaskContext) -> str:
    """One row per run, keyed by the task result: a second run of the same result fails loudly."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {PROBE_TABLE} (task_result_id, pid, ran_at) VALUES (%s, %s, %s)",
            [str(context.task_result.id), os.getpid(), timezone.now().isoformat()],
        )
    return str(context.task_result.id)


@task
def noop() -> str:
    return "done"


@task
def add(a: int, b: int) -> int:
    return a + b
