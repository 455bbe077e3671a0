from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.test import override_settings
from django_tasks_db.models import DBTaskResult, get_date_max

from frontline.core.models import ScheduledRun
from frontline.core.tasks import clear_expired_sessions, prune_scheduled_runs, prune_task_results

NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def _session(expire_date: datetime) -> str:
    store = SessionStore()
    store["k"] = "v"
    store.create()
    Session.objects.filter(session_key=store.session_key).update(expire_date=expire_date)
    return str(store.session_key)


def _task_result(*, status: str, finished_at: datetime | None, queue: str = "default") -> DBTaskResult:
    return DBTaskResult.objects.create(
        status=status,
        finished_at=finished_at,
        queue_name=queue,
        backend_name="default",
        task_path="frontline.core.tests.jobs.noop",
        args_kwargs={"args": [], "kwargs": {}},
        run_after=get_date_max(),
    )


@time_machine.travel(NOW, tick=False)
def test_clear_expired_sessions_keeps_live_ones():
    # given one expired and one live session
    _session(NOW - timedelta(seconds=1))
    live = _session(NOW + timedelta(hours=1))

    # when the job runs
    clear_expired_sessions.call()

    # then only the live one is left
    assert list(Session.objects.values_list("session_key", flat=True)) == [live]


@time_machine.travel(NOW, tick=False)
@override_settings(TASK_RESULT_RETENTION_DAYS=14)
def test_prune_task_results_deletes_only_old_finished_results():
    # given finished results on both sides of the 14-day line, and unfinished old ones
    old_ok = _task_result(status="SUCCESSFUL", finished_at=NOW - timedelta(days=15))
    old_failed = _task_result(status="FAILED", finished_at=NOW - timedelta(days=14), queue="other")
    recent = _task_result(status="SUCCESSFUL", finished_at=NOW - timedelta(days=13, hours=23))
    ready = _task_result(status="READY", finished_at=None)
    running = _task_result(status="RUNNING", finished_at=None)

    # when the job runs
    deleted = prune_task_results.call()

    # then the two old finished results are gone, whatever their queue
    assert deleted == 2
    assert set(DBTaskResult.objects.values_list("id", flat=True)) == {recent.id, ready.id, running.id}
    assert not DBTaskResult.objects.filter(id__in=[old_ok.id, old_failed.id]).exists()


@time_machine.travel(NOW, tick=False)
@override_settings(SCHEDULER_RUN_RETENTION_DAYS=30)
def test_prune_scheduled_runs_keeps_the_retention_window():
    # given claims from 31 and 29 days ago
    ScheduledRun.objects.create(job="a", tick_start=NOW - timedelta(days=31))
    ScheduledRun.objects.create(job="a", tick_start=NOW - timedelta(days=29))

    # when the job runs
    deleted = prune_scheduled_runs.call()

    # then only the older claim is deleted
    assert deleted == 1
    assert list(ScheduledRun.objects.values_list("tick_start", flat=True)) == [NOW - timedelta(days=29)]


def test_refresh_database_statistics_analyses_sqlite_and_leaves_postgres_to_autovacuum():
    from django.db import connection

    from frontline.core.tasks import refresh_planner_statistics

    expected = "analysed" if connection.vendor == "sqlite" else "skipped"
    assert refresh_planner_statistics() == expected
