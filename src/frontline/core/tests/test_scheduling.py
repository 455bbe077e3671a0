from datetime import UTC, datetime, timedelta

import pytest
from django.tasks import task_backends
from django.tasks.backends.dummy import DummyBackend
from django.test import override_settings

from frontline.config.schedule import SCHEDULE
from frontline.core.models import ScheduledRun
from frontline.core.scheduling import (
    ScheduleEntry,
    ScheduleError,
    Scheduler,
    claim_and_enqueue,
    load_schedule,
    parse_extra_schedule,
    tick_start,
)
from frontline.core.tests.jobs import create_probe_table, probe_rows

DUMMY_TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
PROBE = ScheduleEntry("probe", "frontline.core.tests.jobs.noop", 60)


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def dummy_backend():
    with override_settings(TASKS=DUMMY_TASKS):
        backend = task_backends["default"]
        assert isinstance(backend, DummyBackend)
        yield backend
        backend.clear()


def test_tick_start_aligns_windows_on_the_epoch():
    # given a moment inside a minute and inside a day
    now = datetime(2026, 3, 14, 15, 9, 26, 535000, tzinfo=UTC)

    # then the windows start at the minute and at midnight UTC
    assert tick_start(now, 60) == datetime(2026, 3, 14, 15, 9, tzinfo=UTC)
    assert tick_start(now, 24 * 3600) == datetime(2026, 3, 14, tzinfo=UTC)
    assert tick_start(now, 1) == datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC)


def test_declared_schedule_points_at_real_tasks():
    # when the schedule of frontline.config.schedule is loaded
    entries = load_schedule()

    # then it holds the housekeeping jobs, daily, and every entry is a django.tasks Task
    housekeeping = [
        ("clear-expired-sessions", "frontline.core.tasks.clear_expired_sessions", 86400),
        ("prune-task-results", "frontline.core.tasks.prune_task_results", 86400),
        ("prune-scheduled-runs", "frontline.core.tasks.prune_scheduled_runs", 86400),
        ("refresh-database-statistics", "frontline.core.tasks.refresh_database_statistics", 86400),
    ]
    assert [(e.name, e.task, e.interval) for e in entries][: len(housekeeping)] == housekeeping
    assert entries == SCHEDULE
    assert {type(e.load_task()).__name__ for e in entries} == {"Task"}
    assert len({e.name for e in entries}) == len(entries)


@override_settings(SCHEDULE_EXTRA="probe=frontline.core.tests.jobs.add@2, other=a.b.c@30")
def test_extra_schedule_from_the_environment_is_appended():
    assert load_schedule()[-2:] == [
        ScheduleEntry("probe", "frontline.core.tests.jobs.add", 2),
        ScheduleEntry("other", "a.b.c", 30),
    ]


@pytest.mark.parametrize(
    "raw", ["probe", "probe=a.b", "probe=a.b@", "probe=a.b@x", "Bad Name=a.b@3", "p=a.b@0"]
)
def test_malformed_extra_schedule_is_refused(raw):
    with pytest.raises(ScheduleError):
        parse_extra_schedule(raw)


@override_settings(SCHEDULE_EXTRA="prune-task-results=frontline.core.tests.jobs.add@2")
def test_duplicate_job_names_are_refused():
    with pytest.raises(ScheduleError, match="declared twice"):
        load_schedule()


@pytest.mark.django_db
def test_two_schedulers_on_the_same_tick_enqueue_once(dummy_backend):
    # given two workers' schedulers at the same moment
    clock = FixedClock(datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC))
    first = Scheduler([PROBE], worker_id="worker-a", clock=clock)
    second = Scheduler([PROBE], worker_id="worker-b", clock=clock)

    # when both tick
    claimed_first = first.run_pending()
    claimed_second = second.run_pending()

    # then only the first claims the window and enqueues the task, once
    assert [(r.job, r.tick_start, r.claimed_by) for r in claimed_first] == [
        ("probe", datetime(2026, 3, 14, 15, 9, tzinfo=UTC), "worker-a")
    ]
    assert claimed_second == []
    assert [r.task.module_path for r in dummy_backend.results] == ["frontline.core.tests.jobs.noop"]
    run = ScheduledRun.objects.get()
    assert run.task_result_id == dummy_backend.results[0].id


@pytest.mark.django_db
def test_next_window_is_claimed_again_and_a_seen_window_costs_no_query(
    dummy_backend, django_assert_num_queries
):
    clock = FixedClock(datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC))
    first = Scheduler([PROBE], worker_id="worker-a", clock=clock)
    second = Scheduler([PROBE], worker_id="worker-b", clock=clock)
    first.run_pending()
    second.run_pending()

    # when both tick again inside the same window
    clock.now += timedelta(seconds=20)
    with django_assert_num_queries(0):
        assert first.run_pending() == []
        assert second.run_pending() == []

    # and again in the next window, the second worker first this time
    clock.now += timedelta(seconds=20)
    claimed = second.run_pending()
    assert first.run_pending() == []

    # then one more run, claimed by the second worker
    assert [(r.tick_start, r.claimed_by) for r in claimed] == [
        (datetime(2026, 3, 14, 15, 10, tzinfo=UTC), "worker-b")
    ]
    assert list(ScheduledRun.objects.order_by("tick_start").values_list("tick_start", "claimed_by")) == [
        (datetime(2026, 3, 14, 15, 9, tzinfo=UTC), "worker-a"),
        (datetime(2026, 3, 14, 15, 10, tzinfo=UTC), "worker-b"),
    ]
    assert len(dummy_backend.results) == 2


@pytest.mark.django_db
def test_failed_enqueue_leaves_no_claim_and_is_retried_next_tick(dummy_backend):
    # given a job whose task path is wrong
    clock = FixedClock(datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC))
    broken = ScheduleEntry("broken", "frontline.core.tests.jobs.missing", 60)
    scheduler = Scheduler([broken, PROBE], worker_id="worker-a", clock=clock)

    # when it ticks
    claimed = scheduler.run_pending()

    # then the other job still runs and the broken one leaves nothing behind
    assert [r.job for r in claimed] == ["probe"]
    assert list(ScheduledRun.objects.values_list("job", flat=True)) == ["probe"]
    assert len(dummy_backend.results) == 1

    # and once fixed (same window), the next tick claims it
    scheduler.entries[0] = ScheduleEntry("broken", "frontline.core.tests.jobs.noop", 60)
    clock.now += timedelta(seconds=5)
    assert [r.job for r in scheduler.run_pending()] == ["broken"]
    assert len(dummy_backend.results) == 2


@pytest.mark.django_db
def test_claim_runs_the_task_with_the_immediate_backend():
    # given the immediate backend of the test settings and a job that records its runs
    create_probe_table()
    recorder = ScheduleEntry("recorder", "frontline.core.tests.jobs.record_run", 60)
    start = datetime(2026, 3, 14, tzinfo=UTC)

    # when the window is claimed twice
    run = claim_and_enqueue(recorder, start, worker_id="w1")
    again = claim_and_enqueue(recorder, start, worker_id="w2")

    # then the task ran once, for the first claim only
    assert run is not None
    assert again is None
    assert [row[0] for row in probe_rows()] == [run.task_result_id]
    assert list(ScheduledRun.objects.values_list("job", "claimed_by")) == [("recorder", "w1")]
